// Evacuation benchmark (issue #16): BENCH_TENANTS tenants × 5 environments (default 20 × 5 = 100) are
// onboarded onto fp-1 through one real `fleetplane serve` (API + engine on PostgreSQL), then
// POST /v1/clusters/fp-1:evacuate moves all of them to fp-2/fp-3 (placement's choice, at most
// BENCH_EVACUATE_CONCURRENCY moves at once, default 20).
//   fleetplane: POST :evacuate -> the evacuation `succeeded` (every environment Ready on its new
//               cluster, its placement switched and its objects removed from fp-1), and, from the
//               evacuation's own per-move timestamps, POST -> the last environment Ready on its target
//   baseline:   the raw time to apply the same objects on the target: after the evacuation, `serve`
//               is stopped, each environment's delivered revision (exactly the objects the move applied
//               on its target, read from the store) is kept, its namespace deleted from the target,
//               and then all of them are server-side applied again by a tight concurrent client (32 in
//               flight per cluster, phase order) onto the same target clusters and polled until every
//               Deployment is available, as the onboarding bench's raw baseline does
// The release is the fixture's web-only one, its web front end ready BENCH_READY_DELAY seconds (default
// 5) after start (the testbed honours it like a kubelet), for both. Tenants are `h16c-<random>-<i>`; every
// namespace this creates is deleted at the end. Needs PostgreSQL (scripts/postgres.sh) and the testbed.
import { mapLimit, type KubeClient } from '../src/adapters/kube/index.ts';
import type { Evacuation } from '../src/domain/evacuation.ts';
import { refOf } from '../src/domain/kinds.ts';
import type { KubeObject } from '../src/domain/types.ts';
import { applyPhases } from '../src/plan/apply-order.ts';
import { ensurePostgres } from './lib/fleet.ts';
import { ENVS, deleteNamespaces, releaseDoc, retry, waitDeploymentsReady } from './lib/raw-apply.ts';
import { round } from './lib/summary.ts';
import { maxOverlap } from '../test/helpers/intervals.ts';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_EVACUATE_CONCURRENCY ?? 20);
const READY_DELAY = Number(process.env.BENCH_READY_DELAY ?? 5);
const WORKERS = process.env.BENCH_WORKER_CONCURRENCY ?? '64';
const tag = Math.random().toString(36).slice(2, 6);
const log = (msg: string) => process.stderr.write(`evacuate bench: ${msg}\n`);

interface Moved { namespace: string; cluster: string; objects: KubeObject[] }

interface Outcome {
  evacuateSeconds: number; lastReadySeconds: number; onboardSeconds: number; moved: Moved[];
  succeeded: number; failed: string[]; movedTo: Record<string, number>; perMove: { median: number; p90: number; max: number };
  maxInFlight: number;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

async function fleetplane(release: Record<string, unknown>): Promise<Outcome> {
  const { setupFleet, startServe, api, prepareFleet, waitFor } = await import('../test/integration/engine.fixture.ts');
  const fleet = await setupFleet();
  const source = fleet.clusters[0]!.name;
  const slugs = Array.from({ length: TENANTS }, (_, i) => `h16c-${tag}-${i}`);
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    serve = await startServe(fleet, {
      workerId: `ev${tag}`,
      env: { FLEETPLANE_WORKER_CONCURRENCY: WORKERS, FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_LOG_LEVEL: 'error', FLEETPLANE_VERIFY_TIMEOUT: '10m', FLEETPLANE_EVACUATION_INTERVAL: '500ms' },
    });
    const client = api(serve.url, fleet.adminToken);
    await prepareFleet(client, fleet.clusters.slice(0, 3), release);
    const t0 = performance.now();
    const res = await mapLimit(slugs, 8, async (slug) => {
      const r = await client.call('POST', '/v1/tenants', {
        slug, name: slug, tier: 'shared', environments: ENVS.map(([name, type]) => ({ name, type, blueprint: 'demo-app', version: '1.0.0', cluster: source })),
      });
      if (r.status !== 202) throw new Error(`${slug}: ${r.status} ${JSON.stringify(r.body)}`);
    });
    const bad = res.find((r) => !r.ok);
    if (bad && !bad.ok) throw bad.error;
    const total = slugs.length * ENVS.length;
    await waitFor('all environments Ready on the source', async () => {
      const { rows } = await fleet.store.db.query<{ n: number; failed: number }>(
        `SELECT count(*) FILTER (WHERE health = 'Ready' AND cluster = $1)::int AS n, count(*) FILTER (WHERE health IN ('Failed', 'Degraded'))::int AS failed FROM environments`, [source]);
      if (rows[0]!.failed > 0) throw new Error(`${rows[0]!.failed} environments failed onboarding`);
      return rows[0]!.n >= total;
    }, 1_800_000, 500);
    const onboardSeconds = (performance.now() - t0) / 1000;
    log(`${total} environments onboarded on ${source} and Ready in ${onboardSeconds.toFixed(1)} s; evacuating it (concurrency ${CONCURRENCY})`);

    const e0 = performance.now();
    const startedAt = Date.now();
    const created = await client.call<Evacuation>('POST', `/v1/clusters/${source}:evacuate`, { concurrency: CONCURRENCY, reason: 'evacuate bench' });
    if (created.status !== 201) throw new Error(`evacuate: ${created.status} ${JSON.stringify(created.body)}`);
    const unplaceable = created.body.moves.filter((m) => !m.to);
    if (unplaceable.length) throw new Error(`unplaceable: ${unplaceable.map((m) => `${m.tenant}/${m.environment}: ${m.explanation}`).join('; ')}`);
    let lastDone = -1;
    const done = await waitFor('the evacuation', async () => {
      const e = (await client.call<Evacuation>('GET', `/v1/evacuations/${created.body.id}`)).body;
      const n = e.moves.filter((m) => m.state === 'succeeded').length;
      if (n !== lastDone && (n % 10 === 0 || n === e.moves.length)) log(`${n}/${e.moves.length} moved`);
      lastDone = n;
      return e.state !== 'running' ? e : null;
    }, 3_600_000, 250);
    const evacuateSeconds = (performance.now() - e0) / 1000;
    const failed = done.moves.filter((m) => m.state !== 'succeeded').map((m) => `${m.tenant}/${m.environment}: ${m.state} ${m.error ?? ''}`);
    if (done.state !== 'succeeded') log(`evacuation ${done.state}: ${failed.slice(0, 5).join('; ')}`);
    const ready = done.moves.filter((m) => m.readyAt).map((m) => Date.parse(m.readyAt!));
    const lastReadySeconds = (Math.max(...ready) - startedAt) / 1000;
    const perMoveSeconds = done.moves.filter((m) => m.readyAt && m.startedAt).map((m) => (Date.parse(m.readyAt!) - Date.parse(m.startedAt!)) / 1000);
    const movedTo: Record<string, number> = {};
    for (const m of done.moves) if (m.state === 'succeeded') movedTo[m.to!] = (movedTo[m.to!] ?? 0) + 1;

    // What each move applied on its target: the environment's delivered revision, from the store.
    await serve.kill('SIGTERM');
    serve = undefined;
    const moved: Moved[] = [];
    for (const m of done.moves.filter((x) => x.state === 'succeeded')) {
      const env = (await fleet.store.environments.get(m.tenant, m.environment))!;
      if (env.placement.cluster !== m.to) throw new Error(`${m.tenant}/${m.environment} is placed on ${env.placement.cluster}, not ${m.to}`);
      const rev = (await fleet.store.revisions.get(m.tenant, m.environment, env.appliedRevision!))!;
      moved.push({ namespace: env.placement.namespace, cluster: m.to!, objects: rev.objects.map((o) => o.object) });
    }
    return {
      evacuateSeconds, lastReadySeconds, onboardSeconds, moved, succeeded: done.moves.length - failed.length, failed, movedTo,
      perMove: { median: round(quantile(perMoveSeconds, 0.5)), p90: round(quantile(perMoveSeconds, 0.9)), max: round(Math.max(...perMoveSeconds)) },
      maxInFlight: maxOverlap(done.moves.filter((m) => m.startedAt && m.finishedAt).map((m) => [Date.parse(m.startedAt!), Date.parse(m.finishedAt!)])),
    };
  } finally {
    await serve?.kill('SIGTERM');
    await fleet.cleanup();
  }
}

/** The raw floor: the same objects server-side applied onto the same target clusters, then polled until every Deployment is available. */
async function raw(byName: Map<string, KubeClient>, moved: Moved[]): Promise<{ seconds: number; applySeconds: number }> {
  const clusters = [...new Set(moved.map((m) => m.cluster))];
  const clients = clusters.map((c) => byName.get(c)!);
  // Remove what the evacuation left so the raw client creates everything anew, as the move did.
  await deleteNamespaces(clients, moved.map((m) => m.namespace));
  const deployments = moved.reduce((n, m) => n + m.objects.filter((o) => o.kind === 'Deployment').length, 0);
  const t0 = performance.now();
  await Promise.all(clusters.map(async (name) => {
    const c = byName.get(name)!;
    const mine = moved.filter((m) => m.cluster === name).flatMap((m) => m.objects);
    for (const phase of applyPhases(mine.map((o) => ({ ...refOf(o), obj: o })))) {
      const res = await mapLimit(phase, 32, (r) => retry(() => c.apply(r.obj, { force: true })));
      const bad = res.find((r) => !r.ok);
      if (bad && !bad.ok) throw bad.error;
    }
  }));
  const applySeconds = (performance.now() - t0) / 1000;
  await waitDeploymentsReady(clients, new Set(moved.map((m) => m.namespace)), deployments);
  return { seconds: (performance.now() - t0) / 1000, applySeconds };
}

ensurePostgres();
const { getTestbed } = await import('../test/helpers/testbed.ts');
const tb = await getTestbed({ clusters: 3 });
const clusters = tb.clusters.slice(0, 3);
const byName = new Map(clusters.map((c) => [c.name, c.client()]));
const release = await releaseDoc('1.0.0', READY_DELAY);
const n = TENANTS * ENVS.length;
let fp: Outcome | undefined;
let rawResult: { seconds: number; applySeconds: number } | undefined;
try {
  fp = await fleetplane(release);
  log(`fleetplane: ${fp.succeeded}/${n} evacuated in ${fp.evacuateSeconds.toFixed(1)} s (last Ready on its target at ${fp.lastReadySeconds.toFixed(1)} s), to ${JSON.stringify(fp.movedTo)}; raw next`);
  rawResult = await raw(byName, fp.moved);
  log(`raw: ${fp.moved.length} environments' objects applied in ${rawResult.applySeconds.toFixed(1)} s, all Deployments available at ${rawResult.seconds.toFixed(1)} s`);
} finally {
  const namespaces = [...new Set(Array.from({ length: TENANTS }, (_, i) => ENVS.map(([e]) => `h16c-${tag}-${i}-${e}`)).flat())];
  await deleteNamespaces([...byName.values()], namespaces);
}
const ratio = fp.evacuateSeconds / rawResult.seconds;
const allMoved = fp.succeeded === n && fp.failed.length === 0;
console.log(JSON.stringify({
  bench: 'evacuate', metric: `evacuate a cluster of ${n} environments: POST :evacuate to every environment Ready on its new cluster and removed from the old`, value: round(fp.evacuateSeconds, 1), unit: 's',
  baseline: 'raw SSA of the same objects onto the same target clusters until every Deployment is available', baseline_value: round(rawResult.seconds, 1), ratio: round(ratio),
  figures: [
    { name: `POST :evacuate to the evacuation succeeded (${n} moves, concurrency ${CONCURRENCY})`, value: round(fp.evacuateSeconds, 1), unit: 's', baseline: 'raw SSA of the same objects until available', baseline_value: round(rawResult.seconds, 1) },
    { name: 'POST :evacuate to the last environment Ready on its target (readyAt, before removal)', value: round(fp.lastReadySeconds, 1), unit: 's', baseline: 'raw SSA of the same objects until available', baseline_value: round(rawResult.seconds, 1) },
    { name: 'one move, start to Ready on the target (median / p90 / max)', value: `${fp.perMove.median} / ${fp.perMove.p90} / ${fp.perMove.max}`, unit: 's' },
    { name: 'raw apply alone (before waiting for availability)', value: round(rawResult.applySeconds, 1), unit: 's' },
    { name: 'environments evacuated (failed)', value: `${fp.succeeded} (${fp.failed.length})`, target: `${n} (0)`, meets_target: allMoved, reliability: true },
    { name: 'most moves in flight at once (from the moves\' timestamps)', value: fp.maxInFlight, target: `<= ${CONCURRENCY}`, meets_target: fp.maxInFlight <= CONCURRENCY, reliability: true },
    { name: `onboarding the ${n} onto fp-1 first (not part of the figure)`, value: round(fp.onboardSeconds, 1), unit: 's' },
  ],
  note: `One serve (PostgreSQL, FLEETPLANE_WORKER_CONCURRENCY=${WORKERS}, evacuation controller tick 500 ms), ${n} web-only environments on fp-1 moved to ${JSON.stringify(fp.movedTo)}; `
    + `each move renders for the target, applies, verifies Ready, switches the placement and deletes the source namespace. The raw client applies the exact delivered revisions onto the same clusters (their namespaces deleted first); pod readiness delay ${READY_DELAY} s for both.`,
  environments: n, concurrency: CONCURRENCY, moved_to: fp.movedTo, failed: fp.failed.slice(0, 10),
}));
process.exit(allMoved ? 0 : 1);
