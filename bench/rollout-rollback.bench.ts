// Fleet-rollback benchmark (issue #21): a release rolled out to 300 environments (60 tenants × 5) on the
// 3 testbed clusters in 2 waves (50/100 %, no canary, the health gate and the per-tenant SLO gate on,
// `onGateFailure: rollback`), through one real `fleetplane serve` (API, engine, rollout controller)
// whose SLO gate reads a real Prometheus scraping a small exporter: the release raises ONE tenant's
// error ratio (20 %, once its prod environment runs the release; that tenant is labelled risk=high, so
// it goes in wave 2). Wave 2's gate fails, and every one of the 300 environments goes back.
//   fleetplane: the rollout's status.rollback.seconds, from the gate firing to every touched environment
//               Ready on its previous revision (the controller's own clock), checked afterwards from the
//               clusters (each web Deployment Ready with the previous revision's label)
//   baseline:   the raw time to re-apply the previous revisions: the same objects (v1, rendered by the
//               same renderer) server-side-applied by a tight concurrent client over v2 in 300 other
//               namespaces, polled until every Deployment is available again (the floor of any rollback)
// Goal: under 2 minutes. The release changes the web component's image, whose readiness probe passes
// BENCH_READY_DELAY seconds after start (default 5; the testbed honours it like a kubelet), for both.
// Needs PostgreSQL, Prometheus (scripts/prometheus.sh) and the testbed.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deploymentReadiness, type KubeClient } from '../src/adapters/kube/index.ts';
import type { SqlStore } from '../src/adapters/store/index.ts';
import { LABELS } from '../src/domain/types.ts';
import type { RolloutView } from '../src/engine/rollouts/index.ts';
import { RECORDED } from '../src/render/monitoring/rules.ts';
import { RATE_WINDOWS } from '../src/render/monitoring/slo.ts';
import { ROOT, ensurePostgres } from './lib/fleet.ts';
import { ENVS, applyAll, deleteNamespaces, releaseDoc, renderAll, retry, waitReady } from './lib/raw-apply.ts';
import { onboardFleet } from './lib/onboard-fleet.ts';
import { round } from './lib/summary.ts';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 60);
const WAVES = [50, 100];
const BAKE_S = Number(process.env.BENCH_ROLLBACK_BAKE ?? 0);
const READY_DELAY = Number(process.env.BENCH_READY_DELAY ?? 5);
const WORKERS = process.env.BENCH_WORKER_CONCURRENCY ?? '64';
const GOAL_S = 120;
const tag = Math.random().toString(36).slice(2, 6);
const log = (msg: string) => process.stderr.write(`rollout-rollback bench: ${msg}\n`);

/** PROMETHEUS_BIN/PROMTOOL_BIN from scripts/prometheus.sh ensure, unless set. */
function ensurePrometheus(): void {
  if (process.env.PROMETHEUS_BIN && process.env.PROMTOOL_BIN) return;
  const out = execFileSync('bash', ['scripts/prometheus.sh', 'ensure'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
}

/** The raw floor: v1 then v2 everywhere (not timed), then v1 re-applied over v2 and waited for (timed). */
async function raw(clients: KubeClient[], v1: Record<string, unknown>, v2: Record<string, unknown>): Promise<number> {
  const envs = renderAll(`rr${tag}`, TENANTS, v1, v2);
  try {
    await applyAll(clients, envs, 'v1');
    await waitReady(clients, envs, 'v1');
    await applyAll(clients, envs, 'v2');
    await waitReady(clients, envs, 'v2');
    log(`raw: v2 in place in ${envs.length} namespaces; re-applying v1`);
    const t0 = performance.now();
    await applyAll(clients, envs, 'v1');
    await waitReady(clients, envs, 'v1');
    return (performance.now() - t0) / 1000;
  } finally {
    await deleteNamespaces(clients, envs.map((e) => e.namespace));
  }
}

/**
 * The exporter: every environment's recorded ratio series (what the generated recording rules produce),
 * all calm, except the hurt tenant's prod error ratio once that environment runs `badVersion`.
 */
async function startExporter(store: SqlStore, slugs: string[], hurt: string, badVersion: string): Promise<{ target: string; server: Server; hot: () => boolean }> {
  let hot = false;
  const server = createServer((req, res) => {
    void (async () => {
      if (!hot) hot = (await store.environments.get(hurt, 'prod'))?.version === badVersion;
      const lines: string[] = [];
      for (const w of RATE_WINDOWS) {
        for (const [metric, ratio] of [[RECORDED.errorRatio(w), 'err'], [RECORDED.slowRatio(w), 'slow']] as const) {
          lines.push(`# TYPE ${metric} gauge`);
          for (const tenant of slugs) {
            for (const [env] of ENVS) {
              const v = ratio === 'err' && hot && tenant === hurt && env === 'prod' ? 0.2 : 0.001;
              lines.push(`${metric}{tenant="${tenant}",environment="${env}",namespace="${tenant}-${env}",service="web"} ${v}`);
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(lines.join('\n') + '\n');
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, hot: () => hot };
}

interface Outcome {
  seconds: number; engineSeconds: number; forwardSeconds: number; onboardSeconds: number;
  environments: number; restored: number; failed: string[]; onPrevious: number; reason: string;
}

/** From the clusters: web Deployments Ready and labelled with the revision each environment ran before. */
async function countOnPrevious(clients: KubeClient[], previous: Map<string, string>): Promise<number> {
  let n = 0;
  for (const c of clients) {
    const list = await retry(() => c.list('apps/v1', 'Deployment', { labelSelector: 'app.kubernetes.io/managed-by=fleetplane' }));
    for (const d of list) {
      const want = previous.get(d.metadata.namespace ?? '');
      if (d.metadata.name === 'web' && want && d.metadata.labels?.[LABELS.revision] === want && deploymentReadiness(d).state === 'Ready') n++;
    }
  }
  return n;
}

async function fleetplane(v1: Record<string, unknown>, v2: Record<string, unknown>): Promise<Outcome> {
  const { setupFleet, startServe, api, prepareFleet, publish, waitFor } = await import('../test/integration/engine.fixture.ts');
  const { startPrometheusScraping } = await import('../test/helpers/prometheus.ts');
  const fleet = await setupFleet();
  const slugs = Array.from({ length: TENANTS }, (_, i) => `rb${tag}-${i}`);
  const hurt = slugs.at(-1)!;
  const exporter = await startExporter(fleet.store, slugs, hurt, '1.1.0');
  const prom = await startPrometheusScraping([exporter.target]);
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    serve = await startServe(fleet, {
      workerId: `rb${tag}`,
      env: { FLEETPLANE_WORKER_CONCURRENCY: WORKERS, FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_LOG_LEVEL: 'error', FLEETPLANE_VERIFY_TIMEOUT: '5m', FLEETPLANE_PROMETHEUS_URL: prom.url },
    });
    const client = api(serve.url, fleet.adminToken);
    await prepareFleet(client, fleet.clusters, v1);
    await publish(client, v2);
    const { total, seconds: onboardSeconds } = await onboardFleet({ client, db: fleet.store.db, waitFor, slugs, labelsOf: (slug): Record<string, string> => (slug === hurt ? { risk: 'high' } : {}) });
    const { rows: envRows } = await fleet.store.db.query<{ namespace: string; applied_revision: string }>('SELECT namespace, applied_revision FROM environments');
    const previous = new Map(envRows.map((r) => [r.namespace, r.applied_revision]));
    log(`fleetplane: ${total} environments onboarded and Ready in ${onboardSeconds.toFixed(1)} s; rolling out 1.1.0 (it hurts ${hurt}/prod)`);
    const created = await client.call<RolloutView>('POST', '/v1/rollouts', {
      blueprint: 'demo-app', version: '1.1.0', selector: { tenants: slugs },
      strategy: { canary: { count: 0 }, waves: WAVES, maxParallel: total, onGateFailure: 'rollback', gates: { health: true, bakeSeconds: BAKE_S, slo: { severities: ['page'] } } },
    });
    if (created.status !== 201) throw new Error(`rollout: ${created.status} ${JSON.stringify(created.body)}`);
    const r0 = Date.now();
    const done = await waitFor('rollout rolled back', async () => {
      const r = await client.call<RolloutView>('GET', `/v1/rollouts/${created.body.id}`);
      if (['paused', 'aborted', 'succeeded', 'failed'].includes(r.body.state)) throw new Error(`rollout ${r.body.state}: ${r.body.reason}`);
      return r.body.state === 'rolled-back' ? r.body : null;
    }, 1_800_000, 250);
    const rb = done.rollback;
    if (!rb || rb.seconds === undefined) throw new Error(`rolled back without a rollback status: ${JSON.stringify(done)}`);
    const { rows: last } = await fleet.store.db.query<{ at: Date }>(`SELECT max(finished_at) AS at FROM operations WHERE kind = 'rollback'`);
    const onPrevious = await countOnPrevious(fleet.clusters.map((c) => c.client()), previous);
    return {
      seconds: rb.seconds, engineSeconds: (new Date(last[0]!.at).getTime() - Date.parse(rb.startedAt)) / 1000, forwardSeconds: (Date.parse(rb.startedAt) - r0) / 1000,
      onboardSeconds, environments: rb.environments, restored: rb.restored, failed: rb.failed, onPrevious, reason: rb.reason,
    };
  } finally {
    await serve?.kill('SIGTERM');
    await prom.stop();
    exporter.server.close();
    const { rows } = await fleet.store.db.query<{ namespace: string }>('SELECT namespace FROM environments');
    await deleteNamespaces(fleet.clusters.map((c) => c.client()), rows.map((r) => r.namespace));
    await fleet.cleanup();
  }
}

ensurePostgres();
ensurePrometheus();
const { getTestbed } = await import('../test/helpers/testbed.ts');
const tb = await getTestbed({ clusters: 3 });
const clients = tb.clusters.map((c) => c.client());
const v1 = await releaseDoc('1.0.0', READY_DELAY);
const v2 = await releaseDoc('1.1.0', READY_DELAY);
const rawSeconds = await raw(clients, v1, v2);
log(`raw: the previous revisions re-applied and ready in ${rawSeconds.toFixed(1)} s`);
const fp = await fleetplane(v1, v2);
const n = TENANTS * ENVS.length;
const ratio = fp.seconds / rawSeconds;
const allBack = fp.restored === n && fp.failed.length === 0 && fp.onPrevious === n;
log(`fleetplane: gate to all ${fp.restored}/${fp.environments} restored in ${fp.seconds.toFixed(1)} s (engine ${fp.engineSeconds.toFixed(1)} s); ${fp.onPrevious} on their previous revision on the clusters; raw ${rawSeconds.toFixed(1)} s`);
console.log(JSON.stringify({
  bench: 'rollout-rollback', metric: `fleet rollback after a failed SLO gate: gate firing to all ${n} environments Ready on their previous revision`, value: round(fp.seconds, 1), unit: 's',
  baseline: 'raw SSA re-apply of the previous revisions until every Deployment is available', baseline_value: round(rawSeconds, 1), ratio: round(ratio),
  target: `< ${GOAL_S} s`, meets_target: fp.seconds < GOAL_S && allBack,
  figures: [
    { name: 'gate firing to every environment back (status.rollback.seconds)', value: round(fp.seconds, 1), unit: 's', baseline: 'raw re-apply of the previous revisions', baseline_value: round(rawSeconds, 1), target: `< ${GOAL_S} s`, meets_target: fp.seconds < GOAL_S },
    { name: 'gate firing to the last rollback operation finished (engine, before the controller\'s tick)', value: round(fp.engineSeconds, 1), unit: 's' },
    { name: 'environments rolled back (failed)', value: `${fp.restored} (${fp.failed.length})`, target: `${n} (0)`, meets_target: fp.restored === n && fp.failed.length === 0, reliability: true },
    { name: 'web Deployments Ready on their previous revision afterwards (from the clusters)', value: fp.onPrevious, target: String(n), meets_target: fp.onPrevious === n, reliability: true },
    { name: 'rollout start to the gate firing (2 waves upgraded; not part of the figure)', value: round(fp.forwardSeconds, 1), unit: 's' },
    { name: `onboarding the ${n} at 1.0.0 first (not part of the figure)`, value: round(fp.onboardSeconds, 1), unit: 's' },
  ],
  note: `One serve (PostgreSQL, FLEETPLANE_WORKER_CONCURRENCY=${WORKERS}, rollout controller tick 2 s), maxParallel = every target, bake ${BAKE_S} s; `
    + `the SLO gate failed with: ${fp.reason}. The change is the web component's image (one Deployment per environment rolls), pod readiness delay ${READY_DELAY} s for both.`,
  environments: n, waves: WAVES.length,
}));
process.exit(0);
