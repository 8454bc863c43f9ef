// The fleet at scale on real PostgreSQL and the 3 testbed clusters: 60 tenants x 5 environments
// onboarded through the API of two `serve` processes sharing one database; one of them is killed
// with SIGKILL mid-way and restarted. Every Operation must succeed exactly once, every environment
// end Ready, no step run twice at once, and no object applied by two workers at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit } from '../../src/adapters/kube/index.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import type { StepRun } from '../../src/domain/ports/queue.ts';
import { RECORDER_PATH, api, prepareFleet, setupFleet, startServe, uniqueSlug, waitFor, type Fleet, type ServeProcess } from './engine.fixture.ts';

const TENANTS = Number(process.env.FLEETPLANE_TEST_FLEET_TENANTS ?? 60);
const ENVS = [['prod', 'prod'], ['staging', 'staging'], ['dev', 'dev'], ['qa', 'dev'], ['demo', 'dev']] as const;
const run = uniqueSlug('f').slice(2);
const slugs = Array.from({ length: TENANTS }, (_, i) => `fl${run}-${i}`);

let fleet: Fleet;
let dir: string;
const procs: ServeProcess[] = [];

before(async () => {
  fleet = await setupFleet();
  dir = await mkdtemp(join(tmpdir(), 'fp-fleet-'));
});

after(async () => {
  for (const p of procs) await p.kill('SIGTERM');
  // Leave the shared clusters clean for other suites.
  for (const c of fleet?.clusters ?? []) {
    const namespaces = slugs.flatMap((s) => ENVS.map(([n]) => ({ apiVersion: 'v1', kind: 'Namespace', name: `${s}-${n}` })));
    await c.client().deleteAll(namespaces, { concurrency: 16, propagationPolicy: 'Background' }).catch(() => undefined);
  }
  await fleet?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const serveEnv = (applyLog: string) => ({
  FLEETPLANE_TEST_WRITES_FILE: applyLog, FLEETPLANE_LEASE_MS: process.env.FLEETPLANE_TEST_FLEET_LEASE_MS ?? '20000', FLEETPLANE_WORKER_CONCURRENCY: '24',
  FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_VERIFY_TIMEOUT: '5m',
});

interface Window { worker: string; operation: string; start: number; end: number }

/** Intervals of the same key that overlap in time, across any two holders. */
function overlaps<T extends { start: number; end: number }>(items: T[]): Array<[T, T]> {
  const sorted = [...items].sort((a, b) => a.start - b.start);
  const out: Array<[T, T]> = [];
  let open: T | undefined;
  for (const it of sorted) {
    if (open && it.start < open.end) out.push([open, it]);
    if (!open || it.end > open.end) open = it;
  }
  return out;
}

function applyWindows(lines: string[], killed: string, killedAt: number): Map<string, Window[]> {
  const byRef = new Map<string, Window[]>();
  const open = new Map<string, Window>();
  for (const line of lines) {
    if (!line.trim()) continue;
    let e: { worker: string; operation: string; ref: string; phase: string; at: number };
    try { e = JSON.parse(line); } catch { continue; } // the killed process may leave half a line
    const key = `${e.worker}|${e.operation}|${e.ref}`;
    if (e.phase === 'start') open.set(key, { worker: e.worker, operation: e.operation, start: e.at, end: Number.POSITIVE_INFINITY });
    else {
      const w = open.get(key);
      if (!w) continue;
      open.delete(key);
      w.end = e.at;
      byRef.set(e.ref, [...(byRef.get(e.ref) ?? []), w]);
    }
  }
  // Writes cut short by SIGKILL end at the kill; anything else left open is a bug.
  for (const [key, w] of open) {
    assert.equal(w.worker, killed, `write never finished: ${key}`);
    w.end = killedAt;
    const ref = key.split('|')[2]!;
    byRef.set(ref, [...(byRef.get(ref) ?? []), w]);
  }
  return byRef;
}

/** Per operation: each step succeeded once; unfinished runs only from the killed worker; no two runs
 *  at once (lease-lost runs excepted, see below). Returns the runs closed as lease-lost. */
function checkStepRuns(runs: StepRun[], killedAt: number): StepRun[] {
  const byOp = new Map<string, StepRun[]>();
  for (const r of runs) byOp.set(r.operationId, [...(byOp.get(r.operationId) ?? []), r]);
  for (const [id, list] of byOp) {
    for (const step of ['place', 'render', 'deliver', 'verify', 'record']) {
      assert.equal(list.filter((r) => r.step === step && r.state === 'succeeded').length, 1, `${id} ${step} succeeded exactly once`);
    }
    const unfinished = list.filter((r) => !r.finishedAt && r.workerId !== 'fleet-a');
    assert.deepEqual(unfinished.map((r) => `${r.workerId}:${r.step}:${r.state}`), [], `${id}: only the killed worker left runs unfinished`);
    // A live worker that lost its lease closes its own run as lease-lost, saying why.
    for (const r of list.filter((x) => x.state === 'lease-lost')) {
      assert.match(r.error ?? '', /lease/, `${id}: ${r.workerId}:${r.step} closed with a reason`);
    }
    assert.deepEqual(list.filter((r) => !['running', 'waiting', 'succeeded', 'failed', 'lease-lost'].includes(r.state)).map((r) => r.state), [], `${id}: run states`);
    // A lease-lost run's finishedAt is when the record was closed, after its writes had stopped; its
    // writes are checked against the other workers' writes of the same operation below.
    const windows = list.filter((r) => r.state !== 'lease-lost')
      .map((r) => ({ ...r, start: Date.parse(r.startedAt), end: r.finishedAt ? Date.parse(r.finishedAt) : killedAt }));
    assert.deepEqual(overlaps(windows).map(([x, y]) => `${x.workerId}:${x.step} / ${y.workerId}:${y.step}`), [], `${id}: step runs overlap`);
  }
  return runs.filter((r) => r.state === 'lease-lost');
}

test(`onboarding ${TENANTS} tenants x ${ENVS.length} environments across 3 clusters survives a SIGKILL`, async () => {
  const applyLog = join(dir, 'apply-events.jsonl');
  const a = await startServe(fleet, { workerId: 'fleet-a', env: serveEnv(applyLog), preload: [RECORDER_PATH] });
  procs.push(a);
  const b = await startServe(fleet, { workerId: 'fleet-b', env: serveEnv(applyLog), preload: [RECORDER_PATH] });
  procs.push(b);
  const clients = [api(a.url, fleet.adminToken), api(b.url, fleet.adminToken)];
  await prepareFleet(clients[0]!, fleet.clusters);

  const responses = await mapLimit(slugs, 10, async (slug, i) => {
    const r = await clients[i % 2]!.call('POST', '/v1/tenants', {
      slug, name: `Fleet ${i}`, tier: 'shared',
      environments: ENVS.map(([name, type]) => ({ name, type, blueprint: 'demo-app', version: '1.0.0' })),
    }, { 'idempotency-key': `onboard-${slug}` });
    if (r.status !== 202) throw new Error(`${slug}: ${r.status} ${JSON.stringify(r.body)}`);
  });
  assert.ok(responses.every((r) => r.ok), JSON.stringify(responses.find((r) => !r.ok)));
  const total = TENANTS * ENVS.length;

  // Kill A with SIGKILL while work is in flight, then restart it under a new worker id.
  await waitFor('some onboarding to finish', async () => ((await fleet.store.stats.queueDepth()).succeeded ?? 0) >= Math.min(40, total / 4), 300_000, 200);
  const killedAt = Date.now();
  await a.kill('SIGKILL');
  const depthAtKill = await fleet.store.stats.queueDepth();
  const a2 = await startServe(fleet, { workerId: 'fleet-a2', env: serveEnv(applyLog), preload: [RECORDER_PATH] });
  procs.push(a2);

  await waitFor('every operation to finish', async () => {
    const d = await fleet.store.stats.queueDepth();
    return d.pending === 0 && d.running === 0;
  }, 900_000, 1000);

  // Store: exactly one onboard operation per environment, each succeeded.
  const { rows: ops } = await fleet.store.db.query<{ id: string; tenant: string; environment: string; state: string; kind: string }>(
    'SELECT id, tenant, environment, state, kind FROM operations');
  assert.equal(ops.length, total, 'one operation per environment, none duplicated');
  assert.deepEqual(ops.filter((o) => o.state !== 'succeeded' || o.kind !== 'onboard'), [], 'all onboard operations succeeded');
  assert.equal(new Set(ops.map((o) => `${o.tenant}/${o.environment}`)).size, total);
  const { rows: envs } = await fleet.store.db.query<{ tenant: string; name: string; health: string; cluster: string; applied_revision: string; last_good_revision: string }>(
    'SELECT tenant, name, health, cluster, applied_revision, last_good_revision FROM environments');
  assert.equal(envs.length, total);
  assert.deepEqual(envs.filter((e) => e.health !== 'Ready' || !e.applied_revision || e.applied_revision !== e.last_good_revision), []);
  const perCluster = new Map<string, number>();
  for (const e of envs) perCluster.set(e.cluster, (perCluster.get(e.cluster) ?? 0) + 1);
  assert.equal(perCluster.size, 3, `placed across the 3 clusters: ${JSON.stringify([...perCluster])}`);

  // Steps: one successful run per step, never two runs of one operation at once; work was split.
  const runs = await fleet.store.queue.stepRuns();
  const leaseLost = checkStepRuns(runs, killedAt);
  const workers = new Set(runs.filter((r) => r.state === 'succeeded').map((r) => r.workerId));
  // (fleet-a2 usually takes some too; B alone may finish everything first, which is also correct.)
  assert.ok(workers.has('fleet-a') && workers.has('fleet-b'), `work split across processes: ${[...workers]}`);
  const resumed = runs.filter((r) => r.workerId === 'fleet-a' && !r.finishedAt).length;

  // Applies: no object written by two workers at once.
  const byRef = applyWindows((await readFile(applyLog, 'utf8')).split('\n'), 'fleet-a', killedAt);
  const clashes = [...byRef].flatMap(([ref, ws]) => overlaps(ws).filter(([x, y]) => x.worker !== y.worker).map(([x, y]) => `${ref}: ${x.worker} & ${y.worker}`));
  assert.deepEqual(clashes, []);
  // Per operation: a new owner never writes while the old one (lease lost or killed) still writes.
  const byOpWrites = new Map<string, Window[]>();
  for (const w of [...byRef.values()].flat()) byOpWrites.set(w.operation, [...(byOpWrites.get(w.operation) ?? []), w]);
  const handovers = [...byOpWrites].flatMap(([op, ws]) => overlaps(ws).filter(([x, y]) => x.worker !== y.worker).map(([x, y]) => `${op}: ${x.worker} & ${y.worker}`));
  assert.deepEqual(handovers, [], 'writes of one operation by two workers at once');
  assert.ok(byRef.size >= total * 5, `apply events recorded (${byRef.size} objects)`);

  // Clusters: every environment's Deployments exist at the applied revision.
  const applied = new Map(envs.map((e) => [`${e.tenant}-${e.name}`, e.applied_revision]));
  let deployments = 0;
  for (const c of fleet.clusters) {
    const live = await c.client().list<KubeObject>('apps/v1', 'Deployment', { labelSelector: 'app.kubernetes.io/managed-by=fleetplane' });
    for (const d of live) {
      const want = applied.get(d.metadata.namespace ?? '');
      if (!want) continue;
      deployments++;
      assert.equal(d.metadata.labels?.['fleetplane.io/revision'], want, `${d.metadata.namespace}/${d.metadata.name} at the applied revision`);
    }
  }
  assert.equal(deployments, total * 2, 'web and worker Deployments of every environment are live');
  const reasons: Record<string, number> = {};
  for (const r of leaseLost) reasons[`${r.workerId}: ${r.error}`] = (reasons[`${r.workerId}: ${r.error}`] ?? 0) + 1;
  console.log(JSON.stringify({ total, leaseLostRuns: leaseLost.length, leaseLostReasons: reasons, perCluster: Object.fromEntries(perCluster), depthAtKill, unfinishedRunsOfKilledWorker: resumed, workers: [...workers] }));
});
