// Fault (#14): the PostgreSQL server restarted under load. A private PostgreSQL (its own port and data
// directory, started by scripts/postgres.sh like the suite's, so the shared server is never touched)
// backs a real `fleetplane serve` child process; tenants are onboarded through its API before, during
// and after a fast shutdown and restart of the database. The serve process must survive; while the
// database is down its answers are problem+json 5xx (/readyz 503, /healthz still 200), never a dropped connection, and a
// refused request writes nothing; every accepted Operation ends succeeded exactly once (one per
// environment, nothing duplicated). The environments are self-managed (their bundle is published,
// no cluster is involved), so the test is about the store and the engine, bounded, loopback only.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { BLUEPRINT } from '../helpers/api-harness.ts';
import { freePort } from './observability-support.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const adminToken = `fp_${randomBytes(24).toString('hex')}`;
let pgEnv: Record<string, string>;
let databaseUrl = '';
let stateDir = '';
let dataDir = '';
let serve: ChildProcess | undefined;
let url = '';
let stderr = '';

/** scripts/postgres.sh against the private server (its own port and cache dir). */
async function pg(cmd: 'ensure' | 'stop'): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'scripts/postgres.sh'), cmd], { env: { ...process.env, ...pgEnv }, timeout: 300_000 });
  return stdout;
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; type: string; retryAfter?: string | null; body: Record<string, unknown> }> {
  const r = await fetch(`${url}${path}`, {
    method, headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, type: r.headers.get('content-type') ?? '', retryAfter: r.headers.get('retry-after'), body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

const onboard = (slug: string) => call('POST', '/v1/tenants', {
  slug, name: slug, tier: 'shared', channel: 'self-managed',
  environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0' }],
});

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'fp-pg-restart-'));
  await chmod(stateDir, 0o755); // the postgres user must reach its data dir below
  pgEnv = { FLEETPLANE_PG_PORT: String(await freePort()), FLEETPLANE_CACHE_DIR: stateDir };
  const exports = await pg('ensure');
  databaseUrl = /FLEETPLANE_TEST_DATABASE_URL='([^']+)'/.exec(exports)?.[1] ?? '';
  assert.ok(databaseUrl.includes(`:${pgEnv.FLEETPLANE_PG_PORT}/`), `private server on its own port: ${exports}`);
  dataDir = await mkdtemp(join(tmpdir(), 'fp-pg-restart-data-'));
  const port = await freePort();
  serve = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env, FLEETPLANE_DATABASE_URL: databaseUrl, FLEETPLANE_DATA_DIR: dataDir, FLEETPLANE_SECRET_KEY: randomBytes(32).toString('hex'),
      FLEETPLANE_ADMIN_TOKEN: adminToken, FLEETPLANE_WORKER_ID: 'pg-restart', FLEETPLANE_LOG_LEVEL: 'warn', FLEETPLANE_RATE_LIMIT: '0',
    },
  });
  serve.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await fetch(`${url}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (serve.exitCode !== null) throw new Error(`serve exited early: ${stderr}`);
    if (i > 1200) throw new Error(`serve not healthy in 5 min: ${stderr}`);
    await sleep(250);
  }
  const r = await call('POST', '/v1/blueprints', { name: 'demo-app', version: '1.0.0', spec: { ...BLUEPRINT, metadata: { ...(BLUEPRINT.metadata as object), version: '1.0.0' } } });
  assert.ok(r.status < 300, JSON.stringify(r.body));
});

after(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve!.once('exit', r));
  }
  if (pgEnv) await pg('stop').catch(() => undefined);
  for (const d of [stateDir, dataDir]) if (d) await rm(d, { recursive: true, force: true });
});

test('PostgreSQL restarted under load: serve survives, answers problem+json while it is down, and every accepted onboarding succeeds exactly once', async () => {
  const accepted = new Map<string, string>(); // tenant -> operation id
  const accept = async (slug: string) => {
    const r = await onboard(slug);
    if (r.status === 202) accepted.set(slug, (r.body.operations as Array<{ id: string }>)[0]!.id);
    return r;
  };
  const before = Array.from({ length: 12 }, (_, i) => `pgr-a${i}`);
  const answers = await Promise.all(before.map(accept));
  assert.deepEqual(answers.map((a) => a.status), before.map(() => 202), JSON.stringify(answers.find((a) => a.status !== 202)?.body));

  // Down while those are being worked on.
  await pg('stop');
  const live = await call('GET', '/healthz').catch((err: Error) => ({ status: 0, type: '', body: { error: err.message } }));
  assert.equal(live.status, 200, `alive: ${JSON.stringify(live.body)}; serve exit ${serve!.exitCode}: ${stderr}`);
  const ready = await call('GET', '/readyz');
  assert.equal(ready.status, 503, `not ready while the store is down: ${JSON.stringify(ready.body)}`);
  assert.match(ready.type, /application\/problem\+json/);
  const during = ['pgr-down0', 'pgr-down1', 'pgr-down2'];
  for (const slug of during) {
    const r: Awaited<ReturnType<typeof call>> = await accept(slug).catch((err: Error) => ({ status: 0, type: '', body: { error: err.message } }));
    assert.equal(r.status, 503, `refused with 503, not a dropped connection or a 500: ${r.status} ${JSON.stringify(r.body)}`);
    assert.match(r.type, /application\/problem\+json/, `problem+json: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.type, 'https://fleetplane.io/problems/store-unavailable', JSON.stringify(r.body));
    assert.equal(r.retryAfter, '5', 'Retry-After');
  }
  assert.equal(serve!.exitCode, null, `serve is still running: ${stderr}`);

  await pg('ensure');
  for (let i = 0; (await call('GET', '/readyz').catch(() => ({ status: 0 }))).status !== 200; i++) {
    assert.ok(i < 600, `serve healthy again after the restart: ${stderr}`);
    await sleep(250);
  }
  const afterwards = Array.from({ length: 6 }, (_, i) => `pgr-b${i}`);
  for (const slug of afterwards) assert.equal((await accept(slug)).status, 202);

  // Every accepted operation finishes, succeeded; bounded by the engine's own retries, not a timer here.
  const states = new Map<string, string>();
  for (let i = 0; i < 2400; i++) {
    for (const [slug, id] of accepted) {
      if (states.get(slug) === 'succeeded' || states.get(slug) === 'failed') continue;
      const r = await call('GET', `/v1/operations/${id}`);
      states.set(slug, String(r.body.state));
    }
    if ([...states.values()].every((s) => s === 'succeeded' || s === 'failed') && states.size === accepted.size) break;
    await sleep(250);
  }
  assert.deepEqual([...accepted.keys()].filter((s) => states.get(s) !== 'succeeded').map((s) => `${s}: ${states.get(s)}`), [], `all succeeded: ${stderr}`);
  assert.equal(accepted.size, before.length + afterwards.length);

  // Exactly once: one onboarding per tenant, its steps each succeeded once in the end; nothing of the refused ones.
  for (const [slug, id] of accepted) {
    const ops = await call('GET', `/v1/operations?tenant=${slug}&limit=20`);
    const items = ops.body.items as Array<{ id: string; kind: string }>;
    assert.deepEqual(items.map((o) => [o.kind, o.id]), [['onboard', id]], `${slug}: one operation`);
    const env = await call('GET', `/v1/environments/${slug}/prod`);
    assert.equal(env.status, 200);
  }
  for (const slug of during) assert.equal((await call('GET', `/v1/tenants/${slug}`)).status, 404, `${slug}: nothing written on a refused request`);
  assert.equal(serve!.exitCode, null);
});
