// Onboarding benchmark: 60 tenants x 5 environments (300) onto the 3 testbed clusters.
//   fleetplane: the 60 POST /v1/tenants calls to one `serve` process -> every environment Ready
//   raw SSA:    the same pre-rendered objects applied by a tight concurrent server-side-apply client,
//               then polled until every Deployment is available (the floor for any tool)
//   naive:      sequential `kubectl apply` + `kubectl rollout status` per environment, measured on a
//               sample and extrapolated per environment (a full naive run takes far too long)
// All three deliver the same blueprint, whose web front end needs BENCH_READY_DELAY seconds (default 5)
// before its readiness probe passes: the testbed's kwok stages honour initialDelaySeconds like a
// kubelet, so pods have a start-up time as real ones do (0 gives kwok's instant pods).
// First, the testbed's own speed (testbed/lib/throughput.ts) so a slow run can be told from a slow engine.
// BENCH_TENANTS, BENCH_NAIVE_SAMPLE and BENCH_WORKER_CONCURRENCY (serve's FLEETPLANE_WORKER_CONCURRENCY) tune it.
// Needs PostgreSQL (FLEETPLANE_TEST_DATABASE_URL, else scripts/postgres.sh ensure) and the testbed.
import { execFileSync, execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit, type KubeClient } from '../src/adapters/kube/index.ts';
import type { KubeObject } from '../src/domain/types.ts';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import { renderEnvironment } from '../src/render/index.ts';
import { SAMPLE_BLUEPRINT } from '../demo/sample-blueprint.ts';
import { refOf } from '../src/domain/kinds.ts';
import { applyPhases } from '../src/plan/apply-order.ts';
import { binaryPath } from '../testbed/index.ts';
import { measureThroughput } from '../testbed/lib/throughput.ts';
import { waitDeploymentsReady } from './lib/raw-apply.ts';

const run = promisify(execFile);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 60);
const ENVS = [['prod', 'prod'], ['staging', 'staging'], ['dev', 'dev'], ['qa', 'dev'], ['demo', 'dev']] as const;
const NAIVE_SAMPLE = Number(process.env.BENCH_NAIVE_SAMPLE ?? 10);
// How an operator would size one `serve` for a 300-environment wave (engine default: 16).
const WORKERS = process.env.BENCH_WORKER_CONCURRENCY ?? '64';
const READY_DELAY = Number(process.env.BENCH_READY_DELAY ?? 5);
const tag = Math.random().toString(36).slice(2, 6);

/** The sample blueprint; its web component starts serving READY_DELAY seconds after start. */
function benchBlueprint(): typeof SAMPLE_BLUEPRINT {
  const doc = structuredClone(SAMPLE_BLUEPRINT);
  if (READY_DELAY > 0) {
    const web = doc.spec.components.find((c) => c.name === 'web') as Record<string, unknown>;
    web.probes = { readiness: { port: 'http', path: '/healthz/ready', initialDelaySeconds: READY_DELAY } };
  }
  return doc;
}
const BLUEPRINT = benchBlueprint();
const log = (msg: string) => process.stderr.write(`onboarding bench: ${msg}\n`);

/** A loaded shared API server drops the odd connection; the raw client retries like any real one. */
async function retry<T>(fn: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await sleep(200 * i);
    }
  }
}

function ensurePostgres(): void {
  if (process.env.FLEETPLANE_TEST_DATABASE_URL) return;
  const out = execFileSync('bash', ['scripts/postgres.sh', 'ensure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
}

interface Env { tenant: string; name: string; type: 'prod' | 'staging' | 'dev'; namespace: string; cluster: number; objects: KubeObject[] }

function renderAll(prefix: string, tenants: number): Env[] {
  const out: Env[] = [];
  const bp = parseBlueprint(BLUEPRINT);
  for (let t = 0; t < tenants; t++) {
    for (const [name, type] of ENVS) {
      const tenant = `${prefix}-${t}`;
      const r = renderEnvironment({ tenant: { slug: tenant, name: tenant, tier: 'shared' }, environment: { name, type, values: {} }, blueprint: bp, placement: { cluster: 'x' } });
      out.push({ tenant, name, type, namespace: r.namespace, cluster: out.length % 3, objects: r.objects.map((o) => o.object) });
    }
  }
  return out;
}

/** Deletes the namespaces on every cluster (absent ones are skipped) and waits, bounded, until gone. */
async function deleteNamespaces(clients: KubeClient[], envs: Env[]): Promise<void> {
  const refs = envs.map((e) => ({ apiVersion: 'v1', kind: 'Namespace', name: e.namespace }));
  await Promise.all(clients.map((c) => c.deleteAll(refs, { concurrency: 16, propagationPolicy: 'Background' })));
  // Wait so the next phase doesn't compete with namespace teardown.
  const names = new Set(envs.map((e) => e.namespace));
  for (let i = 0; i < 240; i++) {
    let left = 0;
    for (const c of clients) left += (await retry(() => c.list('v1', 'Namespace')).catch(() => [])).filter((n) => names.has(n.metadata.name)).length;
    if (left === 0) return;
    await sleep(1000);
  }
}

let rawApplySeconds = 0;

/**
 * API requests served by the clusters so far, by verb (apiserver_request_total, all clients). Taken
 * around each contender, the difference shows what it cost the API servers per environment: the
 * controllers' and kwok's share is the same for all, so what differs is the tool's own traffic.
 */
async function apiRequests(clusters: Array<{ kubeconfig: string }>): Promise<Record<string, number>> {
  const byVerb: Record<string, number> = {};
  for (const c of clusters) {
    const { stdout } = await run(binaryPath('kubectl'), [`--kubeconfig=${c.kubeconfig}`, 'get', '--raw', '/metrics'], { maxBuffer: 64 * 2 ** 20 });
    for (const m of stdout.matchAll(/^apiserver_request_total\{[^}]*verb="(\w+)"[^}]*\} (\S+)$/gm)) byVerb[m[1]!] = (byVerb[m[1]!] ?? 0) + Number(m[2]);
  }
  return byVerb;
}

async function requestsPerEnv<T>(clusters: Array<{ kubeconfig: string }>, envs: number, fn: () => Promise<T>): Promise<{ result: T; perEnv: Record<string, number> }> {
  const before = await apiRequests(clusters);
  const result = await fn();
  const after = await apiRequests(clusters);
  const perEnv: Record<string, number> = {};
  for (const [verb, n] of Object.entries(after)) {
    const d = (n - (before[verb] ?? 0)) / envs;
    if (d >= 0.05 && verb !== 'WATCH') perEnv[verb] = Math.round(d * 10) / 10;
  }
  return { result, perEnv };
}

async function rawSsa(clients: KubeClient[]): Promise<number> {
  const envs = renderAll(`raw${tag}`, TENANTS);
  const deployments = envs.reduce((n, e) => n + e.objects.filter((o) => o.kind === 'Deployment').length, 0);
  try {
    const t0 = performance.now();
    await Promise.all(clients.map(async (c, i) => {
      const mine = envs.filter((e) => e.cluster === i).flatMap((e) => e.objects);
      for (const phase of applyPhases(mine.map((o) => ({ ...refOf(o), obj: o })))) {
        const res = await mapLimit(phase, 32, (r) => retry(() => c.apply(r.obj, { force: true })));
        const bad = res.find((r) => !r.ok);
        if (bad && !bad.ok) throw bad.error;
      }
    }));
    rawApplySeconds = (performance.now() - t0) / 1000;
    await waitDeploymentsReady(clients, new Set(envs.map((e) => e.namespace)), deployments);
    return (performance.now() - t0) / 1000;
  } finally {
    await deleteNamespaces(clients, envs);
  }
}

async function naive(clusters: Array<{ kubeconfig: string }>, clients: KubeClient[]): Promise<{ perEnv: number; sample: number }> {
  const envs = renderAll(`nv${tag}`, Math.ceil(NAIVE_SAMPLE / ENVS.length)).slice(0, NAIVE_SAMPLE);
  const kubectl = binaryPath('kubectl');
  const dir = await mkdtemp(join(tmpdir(), 'fp-naive-'));
  const t0 = performance.now();
  try {
    for (const e of envs) {
      const file = join(dir, `${e.namespace}.json`);
      await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: e.objects }));
      const kc = `--kubeconfig=${clusters[e.cluster]!.kubeconfig}`;
      await run(kubectl, [kc, 'apply', '-f', file]);
      for (const d of e.objects.filter((o) => o.kind === 'Deployment')) {
        await run(kubectl, [kc, 'rollout', 'status', `deployment/${d.metadata.name}`, '-n', e.namespace, '--timeout=5m']);
      }
    }
    return { perEnv: (performance.now() - t0) / 1000 / envs.length, sample: envs.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await deleteNamespaces(clients, envs);
  }
}

const PHASES_SQL = `
WITH per_op AS (
  SELECT o.id, o.created_at,
    min(r.started_at) FILTER (WHERE r.step = 'place') AS first_claim,
    min(r.started_at) FILTER (WHERE r.step = 'deliver') AS deliver_start,
    max(r.finished_at) FILTER (WHERE r.step = 'deliver' AND r.state = 'succeeded') AS deliver_end,
    max(r.finished_at) FILTER (WHERE r.step = 'verify' AND r.state = 'succeeded') AS verify_end,
    max(r.finished_at) FILTER (WHERE r.step = 'record' AND r.state = 'succeeded') AS done,
    count(*) FILTER (WHERE r.step = 'verify' AND r.state = 'waiting') AS parks
  FROM operations o JOIN operation_step_runs r ON r.operation_id = o.id
  WHERE o.kind = 'onboard' GROUP BY o.id, o.created_at)
SELECT extract(epoch FROM first_claim - created_at) AS queued, extract(epoch FROM deliver_start - first_claim) AS place_render,
  extract(epoch FROM deliver_end - deliver_start) AS deliver, extract(epoch FROM verify_end - deliver_end) AS verify,
  extract(epoch FROM done - verify_end) AS record, extract(epoch FROM done - created_at) AS total, parks
FROM per_op WHERE done IS NOT NULL`;

/** Where an onboarding operation's time went, from the step-run history: p50/p90 seconds per phase. */
async function phaseBreakdown(db: { query<R>(sql: string): Promise<{ rows: R[] }> }): Promise<Record<string, { p50: number; p90: number }>> {
  const { rows } = await db.query<Record<string, string | number>>(PHASES_SQL);
  const out: Record<string, { p50: number; p90: number }> = {};
  for (const phase of ['queued', 'place_render', 'deliver', 'verify', 'record', 'total', 'parks']) {
    const xs = rows.map((r) => Number(r[phase])).filter(Number.isFinite).sort((a, b) => a - b);
    const at = (q: number) => Math.round((xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0) * 100) / 100;
    out[phase] = { p50: at(0.5), p90: at(0.9) };
  }
  return out;
}

let fleetplanePhases: Record<string, { p50: number; p90: number }> = {};

async function fleetplane(): Promise<number> {
  const { setupFleet, startServe, api, prepareFleet, waitFor } = await import('../test/integration/engine.fixture.ts');
  const fleet = await setupFleet();
  const serve = await startServe(fleet, { workerId: 'bench', env: { FLEETPLANE_WORKER_CONCURRENCY: WORKERS, FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_LOG_LEVEL: 'error' } });
  const envs = renderAll(`fp${tag}`, TENANTS);
  try {
    const client = api(serve.url, fleet.adminToken);
    await prepareFleet(client, fleet.clusters, BLUEPRINT);
    const slugs = [...new Set(envs.map((e) => e.tenant))];
    const t0 = performance.now();
    const res = await mapLimit(slugs, 16, async (slug) => {
      const r = await client.call('POST', '/v1/tenants', { slug, name: slug, tier: 'shared', environments: ENVS.map(([name, type]) => ({ name, type, blueprint: 'demo-app', version: '1.0.0' })) });
      if (r.status !== 202) throw new Error(`${slug}: ${r.status} ${JSON.stringify(r.body)}`);
    });
    const bad = res.find((r) => !r.ok);
    if (bad && !bad.ok) throw bad.error;
    const total = envs.length;
    await waitFor('all environments Ready', async () => {
      const { rows } = await fleet.store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM environments WHERE health = 'Ready'`);
      return rows[0]!.n >= total;
    }, 1_800_000, 250);
    const s = (performance.now() - t0) / 1000;
    const { rows } = await fleet.store.db.query<{ cluster: string; n: number }>('SELECT cluster, count(*)::int AS n FROM environments GROUP BY cluster');
    // Namespaces follow the placement the engine chose.
    const placed = new Map(rows.map((r) => [r.cluster, r.n]));
    log(`fleetplane placement: ${JSON.stringify(Object.fromEntries(placed))}`);
    fleetplanePhases = await phaseBreakdown(fleet.store.db);
    log(`fleetplane phases per operation (s, p50/p90): ${JSON.stringify(fleetplanePhases)}`);
    return s;
  } finally {
    await serve.kill('SIGTERM');
    await deleteNamespaces(fleet.clusters.map((c) => c.client()), envs);
    await fleet.cleanup();
  }
}

async function main(): Promise<void> {
  ensurePostgres();
  const { getTestbed } = await import('../test/helpers/testbed.ts');
  const tb = await getTestbed({ clusters: 3 });
  const clients = tb.clusters.map((c) => c.client());
  const envCount = TENANTS * ENVS.length;
  // The clusters' own speed in this run (fleet shape: many one-replica Deployments), for reading the rest.
  const probe = await measureThroughput(tb.clusters.map((c) => Number(c.name.replace(/^fp-/, ''))), { deployments: 100, replicas: 1 });
  const testbedRate = probe.reduce((n, r) => n + r.deploymentsPerSecond, 0) / probe.length;
  log(`testbed: ${probe.map((r) => `${r.cluster} ${r.deploymentsPerSecond.toFixed(1)}`).join(', ')} Deployments available/s (all clusters loaded at once)`);
  log(`raw SSA: ${envCount} environments`);
  const { result: raw, perEnv: rawRequests } = await requestsPerEnv(tb.clusters, envCount, () => rawSsa(clients));
  log(`raw SSA: ${raw.toFixed(1)}s, API requests per environment (all clients, incl. teardown) ${JSON.stringify(rawRequests)}; fleetplane next`);
  const { result: fp, perEnv: fpRequests } = await requestsPerEnv(tb.clusters, envCount, () => fleetplane());
  log(`fleetplane: ${fp.toFixed(1)}s, API requests per environment ${JSON.stringify(fpRequests)}; naive sample next`);
  const nv = await naive(tb.clusters, clients);
  const naiveTotal = nv.perEnv * envCount;
  log(`naive: ${nv.perEnv.toFixed(2)}s per environment over ${nv.sample}, extrapolated ${naiveTotal.toFixed(0)}s for ${envCount}`);
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  console.log(JSON.stringify({
    bench: 'onboarding', metric: 'time_to_all_ready', value: round(fp), unit: 's',
    baseline: 'raw SSA', baseline_value: round(raw), raw_apply_seconds: round(rawApplySeconds), ratio: round(fp / raw), ratio_to_raw: round(fp / raw),
    naive_seconds: round(naiveTotal), naive_extrapolated: true, naive_sample: nv.sample, naive_seconds_per_environment: round(nv.perEnv),
    speedup_vs_naive: round(naiveTotal / fp), environments: envCount, tenants: TENANTS, clusters: tb.clusters.length,
    worker_concurrency: Number(WORKERS), testbed_deployments_per_second_per_cluster: round(testbedRate, 1), pod_ready_delay_seconds: READY_DELAY,
    api_requests_per_environment: { raw: rawRequests, fleetplane: fpRequests }, fleetplane_phase_seconds: fleetplanePhases,
    targets: { ratio_to_raw_max: 2, speedup_vs_naive_min: 10 },
    target: '<= 2× raw SSA and >= 10× faster than naive', meets_target: fp / raw <= 2 && naiveTotal / fp >= 10,
  }));
}

main().then(() => process.exit(0), (err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
