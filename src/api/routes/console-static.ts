// The web console (web/, built by `npm run console:build` into web/dist, or FLEETPLANE_CONSOLE_DIR: ApiDeps.consoleDir),
// served by @fastify/static. Only the console's own client routes answer its index.html, so nothing
// here shadows /v1, /metrics, /healthz, /readyz, /openapi.json or /runbooks (their 404 and 405
// answers stay the API's). Public like /openapi.json: the page holds no data and no privilege; every
// request it makes carries the user's own token.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { RouteModule } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { Type } from '@sinclair/typebox';
import { NotModified, TextBody } from '../responses.ts';

export const CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The console's client-side routes (web/src/routes.tsx); each answers index.html. */
export const CLIENT_ROUTES = ['/', '/login', '/tenants', '/tenants/:tenant', '/tenants/:tenant/:env', '/rollouts', '/rollouts/:id', '/clusters', '/activity'];

const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
}

/** What @fastify/static answers for an asset: the file, a range of it, or 304 to a conditional request. */
const ASSET_RESPONSES = {
  200: { description: 'The asset', content: { '*/*': { schema: Type.Unsafe<unknown>({ type: 'string', contentEncoding: 'binary' }) } } },
  206: { description: 'A range of the asset', content: { '*/*': { schema: Type.Unsafe<unknown>({ type: 'string', contentEncoding: 'binary' }) } } },
  304: NotModified,
};

const routes: RouteModule = async (app, { consoleDir: dir }) => {
  const assets = join(dir, 'assets');
  await app.register(fastifyStatic, { root: existsSync(assets) ? assets : dir, serve: false });
  const hidden = { tags: ['console'], security: [], hide: false, produces: ['text/html'] };

  const index = async (_req: unknown, reply: FastifyReply) => {
    const html = await readFile(join(dir, 'index.html'), 'utf8').catch(() => null);
    if (html === null) throw new ProblemError('not-ready', 503, `the console is not built (no ${join(dir, 'index.html')}); run: npm run console:build`);
    return secure(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  };
  for (const url of CLIENT_ROUTES) {
    app.get(url, { config: { auth: 'public' }, schema: { ...hidden, summary: 'The web console (HTML; the app routes itself client-side)', response: { 200: TextBody('text/html', 'The console page') } } }, index);
  }

  app.get('/assets/:file', { config: { auth: 'public' }, schema: { ...hidden, produces: ['*/*'], summary: 'The web console\'s built assets (content-hashed, cached for a year)', response: ASSET_RESPONSES } }, (req, reply) => {
    const file = (req.params as { file: string }).file;
    // @fastify/send refuses paths that leave the root (.., encoded or not) with 403/404.
    return secure(reply).header('cache-control', 'public, max-age=31536000, immutable').sendFile(file, assets, { cacheControl: false });
  });
};

export default routes;
