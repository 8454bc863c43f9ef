// A remote tenant repo over smart HTTP with Basic auth (git http-backend behind a small Node server on
// 127.0.0.1): the driver pushes with credentials from config handed to git through GIT_ASKPASS; the
// token never appears in the URL, the repo, the error messages; a wrong token is refused.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import type { ClusterClient } from '../../src/engine/drivers/types.ts';
import { git, makeContext, makeRevision } from './gitops-support.ts';

const TOKEN = 'tok-remote-secret-5d1f';
let root: string;
let server: Server;
let url: string;
const seenAuth: string[] = [];
const kube: ClusterClient = { cluster: 'c1', apply: async (o: KubeObject) => o, mergePatch: async () => null, get: async () => null, list: async () => [], delete: async () => true };

/** CGI bridge to `git http-backend`, refusing requests without the right Basic credentials. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const auth = req.headers.authorization ?? '';
  seenAuth.push(auth ? 'basic' : 'none');
  if (auth !== `Basic ${Buffer.from(`bot:${TOKEN}`).toString('base64')}`) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
    return;
  }
  const u = new URL(req.url ?? '/', 'http://x');
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: 'bot', GIT_CONFIG_GLOBAL: '/dev/null',
      REQUEST_METHOD: req.method, PATH_INFO: u.pathname, QUERY_STRING: u.search.slice(1), CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
    },
  });
  req.pipe(cgi.stdin);
  let head = Buffer.alloc(0);
  let body = false;
  cgi.stdout.on('data', (chunk: Buffer) => {
    if (body) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return;
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const [k, ...v] = line.split(':');
      if (k!.toLowerCase() === 'status') status = Number(v.join(':').trim().split(' ')[0]);
      else headers[k!] = v.join(':').trim();
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
    body = true;
  });
  cgi.on('close', () => res.end());
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fp-git-remote-'));
  execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', join(root, 'acme.git')]);
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/acme.git`;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  if (root) await rm(root, { recursive: true, force: true });
});

const rev = makeRevision({ tenant: 'acme', environment: 'prod', namespace: 'acme-prod', version: '1.4.0' });
const ctx = () => makeContext({ tenant: 'acme', env: 'prod', namespace: 'acme-prod', cluster: { name: 'c1', apiServer: 'https://127.0.0.1:6443' }, kube });

test('pushes to an authenticated remote with the token from config, never in URL or repo', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fp-git-remote-data-'));
  try {
    const repos = new GitRepos({ dataDir, remoteFor: () => ({ url, credentials: { username: 'bot', password: TOKEN } }) });
    const res = await new GitopsDriver({ repos }).deliver(ctx(), rev);
    assert.equal(res.detail?.changed, true);
    assert.equal(git(join(root, 'acme.git'), 'rev-parse', 'main').trim(), res.detail?.commit);
    assert.ok(seenAuth.includes('basic'));
    assert.equal(res.detail?.repo, url, 'Argo CD gets the plain URL');
    const everything = git(join(root, 'acme.git'), 'log', '-p', '--all');
    assert.ok(!everything.includes(TOKEN));
    const again = await new GitopsDriver({ repos }).deliver(ctx(), rev);
    assert.equal(again.detail?.changed, false);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a wrong token is refused, and the error does not carry it', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fp-git-remote-data-'));
  try {
    const repos = new GitRepos({ dataDir, remoteFor: () => ({ url, credentials: { username: 'bot', password: 'wrong-token-77' } }) });
    const err = await new GitopsDriver({ repos }).deliver(ctx(), rev).then(() => null, (e: unknown) => e as Error);
    assert.ok(err instanceof Error);
    assert.match(err.message, /Authentication failed|401|could not read/i);
    assert.ok(!err.message.includes('wrong-token-77'));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
