// The runbooks every generated alert links to (runbook_url = FLEETPLANE_RUNBOOK_URL, by default this
// server's /runbooks): the Markdown files of docs/runbooks, read once when the app is built. Public,
// like /openapi.json: an on-call engineer following a link carries no token. Only the names of the
// files found are served, so no request path ever reaches the file system.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';

export const RUNBOOKS_DIR = fileURLToPath(new URL('../../../docs/runbooks/', import.meta.url));
const NAME = /^[a-z0-9-]+$/;
const tags = ['meta'];

interface Runbook { name: string; title: string; markdown: string }

/** The runbooks in `dir`, by name (file name without .md), sorted; none when the directory is missing. */
export async function loadRunbooks(dir = RUNBOOKS_DIR): Promise<Map<string, Runbook>> {
  const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const names = files.filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3)).filter((n) => NAME.test(n)).sort();
  const out = new Map<string, Runbook>();
  for (const name of names) {
    const markdown = await readFile(join(dir, `${name}.md`), 'utf8');
    out.set(name, { name, title: /^# (.+)$/m.exec(markdown)?.[1]?.trim() ?? name, markdown });
  }
  return out;
}

const routes: RouteModule = async (app) => {
  const runbooks = await loadRunbooks();

  app.get('/runbooks', {
    config: { auth: 'public' },
    schema: {
      tags, summary: 'List the runbooks alerts link to (runbook_url)', security: [],
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), title: Type.String(), href: Type.String() })) }) },
    },
  }, async () => ({ items: [...runbooks.values()].map(({ name, title }) => ({ name, title, href: `/runbooks/${name}` })) }));

  app.get('/runbooks/:name', {
    config: { auth: 'public' },
    schema: {
      tags, summary: 'One runbook as Markdown', security: [], params: Type.Object({ name: Type.String() }),
      response: { 200: { description: 'The runbook', content: { 'text/markdown': { schema: Type.String() } } } },
    },
  }, async (req, reply) => {
    const book = runbooks.get(req.params.name);
    if (!book) throw notFound(`runbook "${req.params.name}"`);
    return reply.type('text/markdown; charset=utf-8').send(book.markdown);
  });
};

export default routes;
