// Rollout benchmark: a release rolled out to 300 environments (60 tenants × 5) on the 3 testbed
// clusters in 4 waves (25/50/75/100 %, no canary, the health gate on, BENCH_ROLLOUT_BAKE seconds of
// bake after each wave, default 15), through one real `fleetplane serve` (API, engine, rollout controller).
//   fleetplane: POST /v1/rollouts -> the rollout succeeded (every wave upgraded, verified, baked)
//   baseline:   the sum of the bake times + the raw apply-and-ready time of the same change: the same
//               objects (v1 -> v2, rendered by the same renderer) server-side-applied by a tight concurrent
//               client to 300 other namespaces, wave by wave with the same wave sizes, each wave polled
//               until every Deployment of it is available (the floor any waved rollout pays)
// ratio = fleetplane / baseline; target <= 1.5. The release changes the web component's image, whose
// readiness probe passes BENCH_READY_DELAY seconds after start (default 5; the testbed honours it like a
// kubelet), for both contenders alike. Needs PostgreSQL and the testbed.
import type { KubeClient } from '../src/adapters/kube/index.ts';
import { ensurePostgres } from './lib/fleet.ts';
import { ENVS, applyAll, deleteNamespaces, releaseDoc as fixtureRelease, renderAll as renderFleet, waitReady, type Env } from './lib/raw-apply.ts';
import { onboardFleet } from './lib/onboard-fleet.ts';
import { round } from './lib/summary.ts';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 60);
const WAVES = [25, 50, 75, 100];
const BAKE_S = Number(process.env.BENCH_ROLLOUT_BAKE ?? 15);
const READY_DELAY = Number(process.env.BENCH_READY_DELAY ?? 5);
const WORKERS = process.env.BENCH_WORKER_CONCURRENCY ?? '64';
const TARGET = 1.5;
// BENCH_TENANT_PREFIX (default rb): the tenants' slug prefix on the shared testbed (the raw client's namespaces: r + it).
const tag = Math.random().toString(36).slice(2, 6);
const PREFIX = process.env.BENCH_TENANT_PREFIX ?? 'rb';
const log = (msg: string) => process.stderr.write(`rollout bench: ${msg}\n`);
const releaseDoc = (version: string) => fixtureRelease(version, READY_DELAY);
const renderAll = (prefix: string, v1: Record<string, unknown>, v2: Record<string, unknown>): Env[] => renderFleet(prefix, TENANTS, v1, v2);

/** The raw floor: v1 everywhere (not timed), then v2 wave by wave, each wave applied and waited for. */
async function raw(clients: KubeClient[], v1: Record<string, unknown>, v2: Record<string, unknown>): Promise<{ seconds: number; perWave: number[] }> {
  const envs = renderAll(`r${PREFIX}${tag}`, v1, v2);
  try {
    await applyAll(clients, envs, 'v1');
    await waitReady(clients, envs.map((e) => ({ ...e, v2: e.v1 })));
    log(`raw: v1 in place in ${envs.length} namespaces`);
    const perWave: number[] = [];
    let from = 0;
    for (const pct of WAVES) {
      const to = Math.ceil((envs.length * pct) / 100);
      const wave = envs.slice(from, to);
      const t0 = performance.now();
      await applyAll(clients, wave, 'v2');
      await waitReady(clients, wave);
      perWave.push((performance.now() - t0) / 1000);
      from = to;
    }
    return { seconds: perWave.reduce((a, b) => a + b, 0), perWave };
  } finally {
    await deleteNamespaces(clients, envs.map((e) => e.namespace));
  }
}

interface WaveTiming { name: string; targets: number; seconds: number }

async function fleetplane(v1: Record<string, unknown>, v2: Record<string, unknown>): Promise<{ seconds: number; waves: WaveTiming[]; onboardSeconds: number; upgraded: number; failed: number }> {
  const { setupFleet, startServe, api, prepareFleet, publish, waitFor } = await import('../test/integration/engine.fixture.ts');
  const fleet = await setupFleet();
  const serve = await startServe(fleet, { workerId: `${PREFIX}${tag}`, env: { FLEETPLANE_WORKER_CONCURRENCY: WORKERS, FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_LOG_LEVEL: 'error', FLEETPLANE_VERIFY_TIMEOUT: '5m' } });
  const slugs = Array.from({ length: TENANTS }, (_, i) => `${PREFIX}${tag}-${i}`);
  try {
    const client = api(serve.url, fleet.adminToken);
    await prepareFleet(client, fleet.clusters, v1);
    await publish(client, v2);
    const { total, seconds: onboardSeconds } = await onboardFleet({ client, db: fleet.store.db, waitFor, slugs });
    log(`fleetplane: ${total} environments onboarded and Ready in ${onboardSeconds.toFixed(1)} s; rolling out 1.1.0`);
    const created = await client.call<{ id: string; waves: Array<{ name: string; targets: unknown[] }> }>('POST', '/v1/rollouts', {
      blueprint: 'demo-app', version: '1.1.0', selector: { tenants: slugs },
      strategy: { canary: { count: 0 }, waves: WAVES, maxParallel: total, gates: { health: true, bakeSeconds: BAKE_S } },
    });
    if (created.status !== 201) throw new Error(`rollout: ${created.status} ${JSON.stringify(created.body)}`);
    const r0 = performance.now();
    type View = { state: string; reason: string | null; totals: Record<string, number>; waves: Array<{ name: string; targets: unknown[]; startedAt?: string | null; completedAt?: string | null }> };
    const done = await waitFor('rollout finished', async () => {
      const r = await client.call<View>('GET', `/v1/rollouts/${created.body.id}`);
      if (r.body.state === 'paused' || r.body.state === 'failed' || r.body.state === 'aborted') throw new Error(`rollout ${r.body.state}: ${r.body.reason}`);
      return r.body.state === 'succeeded' ? r.body : null;
    }, 1_800_000, 250);
    const seconds = (performance.now() - r0) / 1000;
    if (done.waves.length !== WAVES.length) throw new Error(`planned ${done.waves.length} waves, wanted ${WAVES.length}`);
    const waves = done.waves.map((w) => ({
      name: w.name, targets: w.targets.length,
      seconds: w.startedAt && w.completedAt ? round((Date.parse(w.completedAt) - Date.parse(w.startedAt)) / 1000) : Number.NaN,
    }));
    return { seconds, waves, onboardSeconds, upgraded: done.totals.succeeded ?? 0, failed: done.totals.failed ?? 0 };
  } finally {
    await serve.kill('SIGTERM');
    const { rows } = await fleet.store.db.query<{ namespace: string }>('SELECT namespace FROM environments');
    await deleteNamespaces(fleet.clusters.map((c) => c.client()), rows.map((r) => r.namespace));
    await fleet.cleanup();
  }
}

ensurePostgres();
const { getTestbed } = await import('../test/helpers/testbed.ts');
const tb = await getTestbed({ clusters: 3 });
const clients = tb.clusters.map((c) => c.client());
const v1 = await releaseDoc('1.0.0');
const v2 = await releaseDoc('1.1.0');
const rawRun = await raw(clients, v1, v2);
log(`raw: v2 applied and ready wave by wave in ${rawRun.seconds.toFixed(1)} s (${rawRun.perWave.map((s) => s.toFixed(1)).join(' + ')})`);
const fp = await fleetplane(v1, v2);
const bakeSum = BAKE_S * WAVES.length;
const baseline = bakeSum + rawRun.seconds;
const ratio = fp.seconds / baseline;
log(`fleetplane: rollout in ${fp.seconds.toFixed(1)} s (waves ${fp.waves.map((w) => `${w.name} ${w.targets}: ${w.seconds} s`).join(', ')}); baseline ${baseline.toFixed(1)} s`);
console.log(JSON.stringify({
  bench: 'rollout', metric: `rollout of a release to ${TENANTS * ENVS.length} environments in ${WAVES.length} waves (bake ${BAKE_S} s each)`, value: round(fp.seconds, 1), unit: 's',
  baseline: 'sum of bake times + raw SSA apply-and-ready of the same change, wave by wave', baseline_value: round(baseline, 1), ratio: round(ratio),
  target: `<= ${TARGET}× the baseline`, meets_target: ratio <= TARGET,
  figures: [
    { name: 'rollout, POST /v1/rollouts until succeeded', value: round(fp.seconds, 1), unit: 's', baseline: 'bake sum + raw apply-and-ready', baseline_value: round(baseline, 1), target: `<= ${TARGET}×`, meets_target: ratio <= TARGET },
    { name: 'environments upgraded by the rollout (failed)', value: `${fp.upgraded} (${fp.failed})`, target: `${TENANTS * ENVS.length} (0)`, meets_target: fp.upgraded === TENANTS * ENVS.length && fp.failed === 0, reliability: true },
    { name: 'sum of bake times', value: bakeSum, unit: 's' },
    { name: 'raw apply-and-ready of the change, 4 waves', value: round(rawRun.seconds, 1), unit: 's' },
    { name: 'overhead over the baseline', value: round(fp.seconds - baseline, 1), unit: 's' },
    ...fp.waves.map((w, i) => ({ name: `wave ${w.name} (${w.targets} envs): started to completed, before its bake`, value: w.seconds, unit: 's', baseline: 'raw apply-and-ready of the same wave', baseline_value: round(rawRun.perWave[i] ?? Number.NaN, 1) })),
    { name: `onboarding the ${TENANTS * ENVS.length} at 1.0.0 first (not part of the figure)`, value: round(fp.onboardSeconds, 1), unit: 's' },
  ],
  note: `One serve (PostgreSQL, FLEETPLANE_WORKER_CONCURRENCY=${WORKERS}, rollout controller tick 2 s), maxParallel = every target, health gate on; `
    + `the change is the web component's image (one Deployment per environment rolls), pod readiness delay ${READY_DELAY} s for both.`
    + (ratio <= TARGET ? '' : ` Missed by ${round(ratio - TARGET)}× (${round(fp.seconds - TARGET * baseline, 1)} s over ${TARGET}× the baseline).`),
  environments: TENANTS * ENVS.length, waves: WAVES.length, bake_seconds: BAKE_S, raw_per_wave_seconds: rawRun.perWave.map((s) => round(s)),
}));
process.exit(0);
