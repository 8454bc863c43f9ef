// The `fleetplane` CLI against a real `fleetplane serve` process: table/json/yaml output, one-line
// errors with distinct exit codes, and a server restart that keeps the data (embedded and PostgreSQL).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { BACKENDS, storeHandle, type StoreHandle } from '../helpers/api-harness.ts';
import { main } from '../../src/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

interface Run { code: number; stdout: string; stderr: string }

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI in this process (fast: no tsx start-up per call) with its output captured and env
 * overrides applied; calls are serialized because they share process.env.
 */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const job = queue.then(() => runInProcess(args, env));
  queue = job.catch(() => undefined);
  return job;
}

async function runInProcess(args: string[], env: Record<string, string>): Promise<Run> {
  const saved = { ...process.env };
  let stdout = '';
  let stderr = '';
  Object.assign(process.env, { FLEETPLANE_SERVER: '', FLEETPLANE_TOKEN: '', ...env });
  try {
    const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false });
    return { code, stdout, stderr };
  } finally {
    process.env = saved;
  }
}

/** The real entry point (bin/fleetplane.js) in a child process. */
function runBin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fleetplane.js'), ...args], { cwd: ROOT, env: { ...process.env, FLEETPLANE_SERVER: '', FLEETPLANE_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('exit', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

interface Server { child: ChildProcess; url: string; stderr: () => string; stdout: () => string }

/** token '' starts without FLEETPLANE_ADMIN_TOKEN (the server generates one on first start). */
async function startServe(handle: StoreHandle, token: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', String(port), '--data-dir', handle.dataDir], {
    cwd: ROOT,
    // No workers: these tests are about the API and the CLI, not delivery.
    env: { ...process.env, FLEETPLANE_ADMIN_TOKEN: token, FLEETPLANE_DATABASE_URL: handle.databaseUrl ?? '', FLEETPLANE_LOG_LEVEL: 'info', FLEETPLANE_WORKERS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  // Generous: a fresh embedded store initializes and migrates first, and CI machines are shared.
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url, stderr: () => err, stdout: () => out };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`serve did not become ready: ${err}`);
}

async function stopServe(s: Server): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
  s.child.kill('SIGTERM');
  return exited;
}

function oneLine(r: Run): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line on stderr: ${JSON.stringify(r.stderr)}`);
}

describe('fleetplane CLI (embedded)', () => {
  let handle: StoreHandle;
  let server: Server;
  let dir: string;
  const token = `fpt_${randomBytes(16).toString('hex')}`;
  let env: Record<string, string>;

  before(async () => {
    handle = await storeHandle('embedded');
    server = await startServe(handle, token);
    env = { FLEETPLANE_SERVER: server.url, FLEETPLANE_TOKEN: token };
    dir = await mkdtemp(join(tmpdir(), 'fp-cli-'));
    await writeFile(join(dir, 'blueprint.yaml'), YAML.stringify(SAMPLE_BLUEPRINT));
    await writeFile(join(dir, 'tenant.json'), JSON.stringify({ slug: 'filed', name: 'Filed Co', tier: 'dedicated' }));
  });
  after(async () => {
    if (server) await stopServe(server);
    await handle?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('publish, onboard, list and get: table, json and yaml', async () => {
    const pub = await run(['blueprints', 'create', '-f', join(dir, 'blueprint.yaml')], env);
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(pub.stdout, /demo-app\s+1\.0\.0/);
    const create = await run(['tenants', 'create', '--slug', 'acme', '--name', 'Acme', '--tier', 'shared', '--label', 'plan=gold', '--env', 'prod:prod:demo-app@1.0.0', '--env', 'staging:staging:demo-app@1.0.0'], env);
    assert.equal(create.code, 0, create.stderr);
    assert.match(create.stdout, /tenant\/acme created/);
    assert.equal(create.stdout.match(/onboard/g)?.length, 2);
    assert.equal((await run(['tenants', 'create', '-f', join(dir, 'tenant.json')], env)).code, 0);
    const table = await run(['tenants', 'list'], env);
    assert.equal(table.code, 0);
    assert.match(table.stdout.split('\n')[0]!, /^SLUG\s+NAME\s+TIER/);
    assert.match(table.stdout, /acme\s+Acme\s+shared/);
    const json = JSON.parse((await run(['tenants', 'list', '-o', 'json'], env)).stdout);
    assert.deepEqual(json.items.map((t: { slug: string }) => t.slug).sort(), ['acme', 'filed']);
    const yaml = YAML.parse((await run(['-o', 'yaml', 'envs', 'get', 'acme', 'prod'], env)).stdout);
    assert.equal(yaml.name, 'prod');
    assert.equal(yaml.health, 'Progressing');
    const envs = await run(['envs', 'list', 'acme'], env);
    assert.match(envs.stdout, /acme\s+prod\s+prod\s+demo-app@1\.0\.0/);
    const ops = JSON.parse((await run(['ops', 'list', '--tenant', 'acme', '-o', 'json'], env)).stdout);
    assert.equal(ops.items.length, 2);
    const one = await run(['ops', 'get', ops.items[0].id], env);
    assert.match(one.stdout, /^STEP\s+STATE/);
    const scale = await run(['envs', 'scale', 'acme', 'prod', '--component', 'web', '--replicas', '3'], env);
    assert.equal(scale.code, 0, scale.stderr);
    assert.match(scale.stdout, /scale/);
    // --version belongs to the subcommand here, not to the program (it once printed the CLI's version).
    for (const args of [['--version', '1.0.0'], ['--version=1.0.0']]) {
      const up = await run(['envs', 'upgrade', 'acme', 'staging', ...args, '-o', 'json'], env);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual([JSON.parse(up.stdout).kind, JSON.parse(up.stdout).params.version], ['upgrade', '1.0.0']);
    }
    for (const flag of ['--version', '-V']) assert.equal((await run([flag], env)).stdout.trim(), '0.1.0');
    const bundlePath = join(dir, 'acme-prod.tar.gz');
    const bundle = await run(['envs', 'bundle', 'acme', 'prod', '--out', bundlePath, '-o', 'json'], env);
    assert.equal(bundle.code, 0, bundle.stderr);
    const wrote = JSON.parse(bundle.stdout) as { file: string; bytes: number; revision: string };
    const bytes = await readFile(bundlePath);
    assert.deepEqual([wrote.file, wrote.bytes, bytes[0], bytes[1]], [bundlePath, bytes.length, 0x1f, 0x8b], 'a gzip archive');
    const missing = await run(['envs', 'bundle', 'acme', 'prod', '--revision', 'nope', '--out', join(dir, 'x.tgz')], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^fleetplane: .*revision "nope"/);
  });

  test('tokens: create prints the secret once; list; revoke', async () => {
    const c = await run(['tokens', 'create', '--name', 'acme-ro', '--role', 'tenant-viewer', '--tenant', 'acme', '-o', 'json'], env);
    assert.equal(c.code, 0, c.stderr);
    const { token: t, secret } = JSON.parse(c.stdout);
    const mine = await run(['tenants', 'list', '-o', 'json'], { ...env, FLEETPLANE_TOKEN: secret });
    assert.deepEqual(JSON.parse(mine.stdout).items.map((x: { slug: string }) => x.slug), ['acme']);
    const list = await run(['tokens', 'list'], env);
    assert.match(list.stdout, /acme-ro\s+tenant-viewer\s+acme/);
    assert.ok(!list.stdout.includes(secret));
    // A retried create with the same key (its answer lost) gets the same token back, not a second one.
    const keyed = ['tokens', 'create', '--name', 'acme-ci', '--role', 'tenant-viewer', '--tenant', 'acme', '--idempotency-key', 'ci-token-1', '-o', 'json'];
    const first = JSON.parse((await run(keyed, env)).stdout);
    const again = JSON.parse((await run(keyed, env)).stdout);
    assert.deepEqual([again.token.id, again.secret], [first.token.id, first.secret]);
    assert.equal(JSON.parse((await run(['tokens', 'list', '-o', 'json'], env)).stdout).items.filter((x: { name: string }) => x.name === 'acme-ci').length, 1);
    assert.equal((await run(['tokens', 'revoke', t.id], env)).code, 0);
    const after = await run(['tenants', 'list'], { ...env, FLEETPLANE_TOKEN: secret });
    assert.equal(after.code, 1);
    assert.match(after.stderr, /Authentication required \(HTTP 401\)/);
  });

  test('tokens rotate: a new secret for the same token; the old one stops without --grace; a bad duration is one line, exit 2', async () => {
    const c = JSON.parse((await run(['tokens', 'create', '--name', 'acme-rot', '--role', 'tenant-admin', '--tenant', 'acme', '--ttl', '30d', '-o', 'json'], env)).stdout);
    assert.ok(c.token.expiresAt, 'created with an expiry');
    const r = await run(['tokens', 'rotate', c.token.id, '-o', 'json'], env);
    assert.equal(r.code, 0, r.stderr);
    const rotated = JSON.parse(r.stdout);
    assert.equal(rotated.token.id, c.token.id);
    assert.notEqual(rotated.secret, c.secret);
    assert.equal((await run(['tenants', 'list'], { ...env, FLEETPLANE_TOKEN: rotated.secret })).code, 0);
    const old = await run(['tenants', 'list'], { ...env, FLEETPLANE_TOKEN: c.secret });
    assert.equal(old.code, 1);
    assert.match(old.stderr, /HTTP 401/);
    const bad = await run(['tokens', 'rotate', c.token.id, '--grace', 'soon'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^fleetplane: --grace must be a duration/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  test('errors: one line on stderr, distinct exit codes', async () => {
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['tenants', 'get', 'ghost'], env, 1, /Not found \(HTTP 404\): tenant "ghost" not found/],
      [['tenants', 'create', '--slug', 'Bad!', '--name', 'x', '--tier', 'shared'], env, 1, /HTTP 400.*\/slug/],
      [['tenants', 'create', '--slug', 'nope', '--name', 'x', '--tier', 'gold'], env, 1, /\/tier/],
      [['tenants', 'list'], { ...env, FLEETPLANE_TOKEN: '' }, 1, /HTTP 401/],
      [['tenants', 'list', '--bogus'], env, 2, /unknown option '--bogus'/],
      [['tenants', 'frobnicate'], env, 2, /unknown command|too many arguments/],
      [['tenants', 'list', '-o', 'xml'], env, 2, /unknown output format "xml"/],
      [['tenants', 'create'], env, 2, /missing --slug/],
      [['tenants', 'list', '--limit', 'ten'], env, 2, /--limit must be a non-negative integer/],
      [['tenants', 'create', '-f', join(ROOT, 'no-such-file.yaml')], env, 2, /cannot read/],
      [['tenants', 'list'], { ...env, FLEETPLANE_SERVER: 'http://127.0.0.1:9' }, 3, /cannot reach the server/],
      [['tenants', 'list', '--server', 'not a url'], env, 2, /is not a URL/],
    ];
    const results = await Promise.all(cases.map(([args, e]) => run(args, e)));
    for (const [i, [args, , code, re]] of cases.entries()) {
      const r = results[i]!;
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      oneLine(r);
      assert.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
    }
  });

  test('the installed entry point (bin/fleetplane.js) behaves the same', async () => {
    const ok = await runBin(['tenants', 'list', '-o', 'json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(JSON.parse(ok.stdout).items.length >= 1);
    const bad = await runBin(['tenants', 'list', '--bogus'], env);
    assert.equal(bad.code, 2);
    oneLine(bad);
  });

  test('ops wait gives up with exit 4 and one line when the operation does not finish in time', async () => {
    // Workers are off in this server, so the operation stays pending.
    const ops = JSON.parse((await run(['ops', 'list', '--tenant', 'acme', '-o', 'json'], env)).stdout);
    const r = await run(['ops', 'wait', ops.items[0].id, '--timeout', '1'], env);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr.trim().split('\n').at(-1)!, /timed out waiting for operation .* \(still pending\)/);
  });
});

for (const backend of BACKENDS) {
  describe(`fleetplane serve restart keeps data (${backend})`, () => {
    test('SIGTERM stops cleanly; a new serve on the same store sees everything', async () => {
      const handle = await storeHandle(backend);
      const token = `fpt_${randomBytes(16).toString('hex')}`;
      try {
        const s1 = await startServe(handle, token);
        const env = { FLEETPLANE_SERVER: s1.url, FLEETPLANE_TOKEN: token };
        const c = await run(['tenants', 'create', '--slug', 'durable', '--name', 'Durable', '--tier', 'hybrid'], env);
        assert.equal(c.code, 0, c.stderr);
        assert.equal(await stopServe(s1), 0, s1.stderr());
        const s2 = await startServe(handle, token);
        try {
          const g = await run(['tenants', 'get', 'durable', '-o', 'json'], { FLEETPLANE_SERVER: s2.url, FLEETPLANE_TOKEN: token });
          assert.equal(g.code, 0, g.stderr);
          assert.equal(JSON.parse(g.stdout).tier, 'hybrid');
        } finally {
          await stopServe(s2);
        }
      } finally {
        await handle.destroy();
      }
    });
  });
}

describe('bootstrap admin token', () => {
  test('first start without FLEETPLANE_ADMIN_TOKEN prints a generated token once, to stderr only', async () => {
    const handle = await storeHandle('embedded');
    try {
      const s1 = await startServe(handle, '');
      const lines = s1.stderr().split('\n').filter((l) => l.includes('bootstrap admin token'));
      assert.equal(lines.length, 1, s1.stderr());
      const secret = /(fp_\S+)/.exec(lines[0]!)![1]!;
      const r = await run(['tenants', 'list', '-o', 'json'], { FLEETPLANE_SERVER: s1.url, FLEETPLANE_TOKEN: secret });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(s1.stdout().length > 0, 'the server logged something');
      assert.ok(!s1.stdout().includes(secret), 'the secret never goes through the logger');
      assert.equal(await stopServe(s1), 0);
      const s2 = await startServe(handle, '');
      try {
        assert.ok(!s2.stderr().includes('bootstrap admin token'), 'printed only on first start');
        assert.equal((await run(['tenants', 'list'], { FLEETPLANE_SERVER: s2.url, FLEETPLANE_TOKEN: secret })).code, 0);
      } finally {
        await stopServe(s2);
      }
    } finally {
      await handle.destroy();
    }
  });
});
