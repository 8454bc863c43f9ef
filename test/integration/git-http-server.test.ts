// The read-only git smart HTTP server (src/adapters/git/http-server.ts) with the real git CLI as the
// client: a tenant's credentials clone its own repo and fetch a commit by id; they cannot read
// another tenant's repo (same 401 as a repo that does not exist); pushes, the dumb protocol and
// paths outside a top-level repo are refused.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { credentialsFileAuthorizer, parseGitRequest, startGitHttpServer, type GitHttpServer } from '../../src/adapters/git/http-server.ts';

let root: string;
let server: GitHttpServer;
const CREDS = { acme: { username: 'acme', password: 'acme-pass-1f2e' }, globex: { username: 'globex', password: 'globex-pass-9a8b' } };
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

/** Async on purpose: the server runs in this process, so a synchronous git would block it. */
function git(args: string[], cwd?: string): Promise<{ status: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: gitEnv, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}`, stdout });
    });
  });
}

/** Clone URL with the credentials in the userinfo (a test-only shortcut; Argo CD sends them as Basic auth too). */
function withCreds(url: string, c: { username: string; password: string }): string {
  const u = new URL(url);
  u.username = c.username;
  u.password = c.password;
  return u.href;
}

let acmeCommit = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fp-git-http-'));
  for (const name of Object.keys(CREDS)) {
    const work = join(root, `work-${name}`);
    execFileSync('git', ['init', '-q', '--initial-branch=main', work], { env: gitEnv });
    await writeFile(join(work, 'README'), `${name}\n`);
    execFileSync('git', ['-C', work, 'add', '.'], { env: gitEnv });
    execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', `first ${name}`], { env: gitEnv });
    execFileSync('git', ['clone', '-q', '--bare', work, join(root, `${name}.git`)], { env: gitEnv });
    if (name === 'acme') acmeCommit = execFileSync('git', ['-C', work, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  }
  const file = join(root, 'credentials.json');
  const entries = Object.entries(CREDS).map(([repo, c]) => [repo, { username: c.username, passwordSha256: createHash('sha256').update(c.password).digest('hex') }]);
  await writeFile(file, JSON.stringify(Object.fromEntries(entries)));
  server = await startGitHttpServer({ root, authorize: credentialsFileAuthorizer(file) });
});

after(async () => {
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test('a tenant clones its own repo and fetches a commit by id', async () => {
  const dir = join(root, 'clone-acme');
  const r = await git(['clone', '-q', withCreds(server.repoURL('acme'), CREDS.acme), dir]);
  assert.equal(r.status, 0, r.out);
  assert.equal((await git(['-C', dir, 'rev-parse', 'HEAD'])).out.trim(), acmeCommit);
  const fetched = await git(['-C', dir, 'fetch', '-q', 'origin', acmeCommit]);
  assert.equal(fetched.status, 0, fetched.out);
  const v0 = await git(['-c', 'protocol.version=0', 'ls-remote', withCreds(server.repoURL('acme'), CREDS.acme)]);
  assert.match(v0.stdout, new RegExp(`^${acmeCommit}\\s+HEAD`, 'm'), 'protocol v0 works too');
});

test("one tenant's credentials cannot read another tenant's repo; unknown repos look the same", async () => {
  const cross = await git(['ls-remote', withCreds(server.repoURL('globex'), CREDS.acme)]);
  assert.notEqual(cross.status, 0);
  assert.match(cross.out, /Authentication failed|401/);
  const none = await fetch(`${server.repoURL('nosuch')}/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from('acme:acme-pass-1f2e').toString('base64')}` } });
  const wrong = await fetch(`${server.repoURL('globex')}/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from('acme:acme-pass-1f2e').toString('base64')}` } });
  assert.equal(none.status, 401);
  assert.equal(wrong.status, 401);
  const anonymous = await fetch(`${server.repoURL('acme')}/info/refs?service=git-upload-pack`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
});

test('read-only: a push is refused, and the repo is unchanged', async () => {
  const dir = join(root, 'clone-push');
  assert.equal((await git(['clone', '-q', withCreds(server.repoURL('acme'), CREDS.acme), dir])).status, 0);
  await writeFile(join(dir, 'new'), 'x\n');
  await git(['-C', dir, 'add', '.']);
  await git(['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'push attempt']);
  const push = await git(['-C', dir, 'push', 'origin', 'HEAD:main']);
  assert.notEqual(push.status, 0, push.out);
  assert.equal(execFileSync('git', ['--git-dir', join(root, 'acme.git'), 'rev-parse', 'main'], { encoding: 'utf8' }).trim(), acmeCommit);
});

test('only the upload-pack endpoints of a top-level repo are routed', () => {
  assert.deepEqual(parseGitRequest('GET', '/acme.git/info/refs?service=git-upload-pack'), { repo: 'acme', pathInfo: '/acme.git/info/refs' });
  assert.deepEqual(parseGitRequest('POST', '/acme.git/git-upload-pack'), { repo: 'acme', pathInfo: '/acme.git/git-upload-pack' });
  for (const [method, url, status] of [
    ['GET', '/acme.git/info/refs?service=git-receive-pack', 403],
    ['POST', '/acme.git/git-receive-pack', 404],
    ['GET', '/acme.git/HEAD', 404],
    ['GET', '/acme.git/objects/info/packs', 404],
    ['GET', '/archive/acme-20260101T000000Z.git/info/refs?service=git-upload-pack', 404],
    ['GET', '/../etc.git/info/refs?service=git-upload-pack', 404],
    ['GET', '/%2e%2e.git/info/refs?service=git-upload-pack', 404],
    ['GET', '/Acme.git/info/refs?service=git-upload-pack', 404],
    ['GET', '/acme.git/git-upload-pack', 405],
  ] as const) {
    const r = parseGitRequest(method, url);
    assert.ok('refuse' in r, `${method} ${url} must be refused`);
    assert.equal(r.refuse, status, `${method} ${url}`);
  }
});
