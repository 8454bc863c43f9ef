// `npm run demo`: start `fleetplane serve` on the embedded store in a temp data dir, publish a
// blueprint release, onboard a tenant with two environments through the HTTP API (and retry the
// same call to show idempotency), print what happened, then stop the server and clean up.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import semver from 'semver';
import { ApiClient } from '../cli/client.ts';
import { table } from '../cli/output.ts';
import { stepSummary, type OperationView } from '../cli/commands/ops.ts';
import { SAMPLE_BLUEPRINT } from './sample-blueprint.ts';
import { testbedStatus } from '../../testbed/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const say = (s = '') => process.stdout.write(`${s}\n`);
const title = (s: string) => say(`\n\x1b[1m== ${s}\x1b[0m`);

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

/** The newest release in blueprints/default/ (the product's real blueprint), else the inline sample. */
async function loadBlueprint(): Promise<Record<string, unknown>> {
  const dir = join(ROOT, 'blueprints/default');
  const files = existsSync(dir) ? (await readdir(dir)).filter((f) => /^\d+\.\d+\.\d+\.ya?ml$/.test(f)) : [];
  const newest = files.sort((a, b) => semver.compare(a.replace(/\.ya?ml$/, ''), b.replace(/\.ya?ml$/, ''))).at(-1);
  if (newest) {
    say(`using blueprints/default/${newest}`);
    return YAML.parse(await readFile(join(dir, newest), 'utf8')) as Record<string, unknown>;
  }
  say('using the inline sample blueprint (src/demo/sample-blueprint.ts)');
  return SAMPLE_BLUEPRINT;
}

async function waitReady(client: ApiClient, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (code ${child.exitCode})`);
    try {
      await client.get('/readyz');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('server did not become ready in time');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

interface DemoCluster { name: string; apiServer: string; kubeconfig: string }

/** Running testbed clusters (npm run testbed -- up), if any; the demo never starts them itself. */
async function runningClusters(): Promise<DemoCluster[]> {
  try {
    return (await testbedStatus()).filter((c) => c.healthy && c.nodes > 0);
  } catch {
    return [];
  }
}

function startServer(port: number, dataDir: string, token: string, workers: boolean): ChildProcess {
  // Server logs (JSON) go to a file so the demo's own output stays readable.
  const log = openSync(join(dataDir, 'server.log'), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      ...process.env, FLEETPLANE_ADMIN_TOKEN: token, FLEETPLANE_DATABASE_URL: '',
      FLEETPLANE_LOG_LEVEL: process.env.FLEETPLANE_LOG_LEVEL ?? 'info', FLEETPLANE_WORKERS: workers ? '1' : '0',
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const OP_COLUMNS: Array<[string, (o: OperationView) => unknown]> = [
  ['OPERATION', (o) => o.id], ['KIND', (o) => o.kind], ['ENV', (o) => o.environment ?? '-'], ['STATE', (o) => o.state], ['STEPS', (o) => `${stepSummary(o)} (${o.steps.map((s) => s.name).join(' → ')})`],
];

async function watchOperations(client: ApiClient, ids: string[], seconds: number): Promise<OperationView[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const ops = await Promise.all(ids.map(async (id) => (await client.get<OperationView>(`/v1/operations/${id}`)).body));
    const done = ops.every((o) => ['succeeded', 'failed', 'cancelled'].includes(o.state));
    if (done || Date.now() > deadline) return ops;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function registerClusters(client: ApiClient, clusters: DemoCluster[]): Promise<void> {
  title('0. register the running testbed clusters');
  for (const c of clusters) {
    const credentials = await readFile(c.kubeconfig, 'utf8');
    await client.request('POST', '/v1/clusters', { body: { name: c.name, provider: 'local', region: 'local', apiServer: c.apiServer, credentials } });
    say(`cluster ${c.name} at ${c.apiServer}`);
  }
}

async function demo(client: ApiClient, clusters: DemoCluster[]): Promise<void> {
  if (clusters.length > 0) await registerClusters(client, clusters);
  title('1. publish a blueprint release');
  const doc = await loadBlueprint();
  const meta = doc.metadata as { name: string; version: string };
  const { body: release } = await client.request<{ name: string; version: string; digest: string }>('POST', '/v1/blueprints', { body: { name: meta.name, version: meta.version, spec: doc } });
  say(`published ${release.name}@${release.version} (digest ${release.digest.slice(0, 12)})`);

  title('2. onboard a customer with one call: POST /v1/tenants');
  const tenant = {
    slug: 'acme', name: 'Acme Corp', tier: 'shared', labels: { plan: 'enterprise' },
    environments: [
      { name: 'prod', type: 'prod', blueprint: meta.name, version: meta.version, values: {} },
      { name: 'staging', type: 'staging', blueprint: meta.name, version: meta.version, values: {} },
    ],
  };
  const key = `demo-${randomBytes(4).toString('hex')}`;
  const first = await client.request<{ tenant: { slug: string }; operations: OperationView[] }>('POST', '/v1/tenants', { body: tenant, headers: { 'idempotency-key': key } });
  say(`HTTP ${first.status} Location: ${first.headers.get('location')}`);
  say(table(first.body.operations, OP_COLUMNS));

  title('3. the same call retried with the same Idempotency-Key');
  const again = await client.request<{ operations: OperationView[] }>('POST', '/v1/tenants', { body: tenant, headers: { 'idempotency-key': key } });
  const same = again.body.operations.map((o) => o.id).join(',') === first.body.operations.map((o) => o.id).join(',');
  say(`HTTP ${again.status}: ${same ? 'same operations returned, nothing created twice' : 'DIFFERENT operations (unexpected)'}`);

  title('4. a bad request is refused with problem+json naming the field');
  try {
    await client.request('POST', '/v1/tenants', { body: { ...tenant, slug: 'Not A Slug!', key: undefined } });
  } catch (err) {
    say(String((err as Error).message));
  }

  title('5. environments and operations');
  const { body: envs } = await client.get<{ items: Array<{ name: string; type: string; version: string; health: string; placement: { cluster: string; namespace: string } }> }>('/v1/tenants/acme/environments');
  say(table(envs.items, [['ENV', (e) => e.name], ['TYPE', (e) => e.type], ['VERSION', (e) => e.version], ['NAMESPACE', (e) => e.placement.namespace], ['CLUSTER', (e) => e.placement.cluster || '(engine places)'], ['HEALTH', (e) => e.health]]));
  if (clusters.length === 0) {
    say('\nNo testbed cluster is running, so the workers are off and the operations stay queued (durably).');
    say('Start clusters with `npm run testbed -- up --clusters 1` and run the demo again to see them delivered.');
    return;
  }
  const wait = Number(process.env.FLEETPLANE_DEMO_WAIT ?? 120);
  say(`\nwaiting up to ${wait}s for the engine to place, render, deliver and verify …`);
  const ops = await watchOperations(client, first.body.operations.map((o) => o.id), wait);
  say(table(ops, OP_COLUMNS));
  for (const o of ops) if (o.error) say(`${o.environment}: ${o.error}`);
  const { body: after } = await client.get<{ items: Array<{ name: string; health: string; appliedRevision?: string | null; placement: { cluster: string; namespace: string } }> }>('/v1/tenants/acme/environments');
  say('');
  say(table(after.items, [['ENV', (e) => e.name], ['CLUSTER', (e) => e.placement.cluster], ['NAMESPACE', (e) => e.placement.namespace], ['REVISION', (e) => e.appliedRevision ?? '-'], ['HEALTH', (e) => e.health]]));
  await offboard(client, wait);
}

/** Leaves the testbed clusters as they were: offboarding removes what onboarding applied. */
async function offboard(client: ApiClient, wait: number): Promise<void> {
  title('6. offboard the customer: DELETE /v1/tenants/acme');
  const { status, body: op } = await client.request<OperationView>('DELETE', '/v1/tenants/acme');
  say(`HTTP ${status}: operation ${op.id}`);
  const [done] = await watchOperations(client, [op.id], wait);
  say(table([done!], OP_COLUMNS));
  if (done?.error) say(done.error);
}

async function run(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetplane-demo-'));
  const token = `fpt_${randomBytes(24).toString('base64url')}`;
  const port = await freePort();
  const client = new ApiClient({ server: `http://127.0.0.1:${port}`, token });
  say(`starting fleetplane serve on http://127.0.0.1:${port} (embedded store in ${dataDir})`);
  const clusters = await runningClusters();
  const child = startServer(port, dataDir, token, clusters.length > 0);
  try {
    await waitReady(client, child, 240_000);
    await demo(client, clusters);
    title('done');
    return 0;
  } catch (err) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await stopServer(child);
    await rm(dataDir, { recursive: true, force: true });
    say('server stopped, temp data removed');
  }
}

process.exitCode = await run();
