// Metrics of the delivery engine, the reconciler and rollouts. Call the helpers below; they keep
// label values inside documented, bounded sets (see the cardinality rule in registry.ts):
//   kind      OperationKind (onboard, upgrade, …)          result  succeeded | failed | cancelled | retried
//   step      the engine's fixed step names (render, apply, verify, …)
//   cluster   registered cluster names (a dozen, not per environment)
//   verb      Kubernetes verbs: get list watch create update patch apply delete
//   state     queue / rollout states (enums)
// Gauges that describe stored state (queue depth, lease age, fleet health, rollout progress) read
// their source at scrape time through bind*() callbacks, so they are right after restarts and
// with several `serve` processes sharing one database.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { RolloutProgress } from '../domain/rollouts.ts';
import type { OperationKind } from '../domain/types.ts';
import { registry } from './registry.ts';

const registers = [registry];
/** waiting: the run parked a step that waits on the cluster (the operation continues later). */
export type OperationResult = 'succeeded' | 'failed' | 'cancelled' | 'retried' | 'waiting';

export const operationsTotal = new Counter({
  name: 'fleetplane_operations_total',
  help: 'Operations finished (or retried) by the engine, by kind and result.',
  labelNames: ['kind', 'result'] as const, registers,
});

export const operationDuration = new Histogram({
  name: 'fleetplane_operation_duration_seconds',
  help: 'Wall time of one operation attempt from claim to finish, by kind.',
  labelNames: ['kind'] as const,
  buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers,
});

export const stepFailuresTotal = new Counter({
  name: 'fleetplane_operation_step_failures_total',
  help: 'Failed attempts of operation steps, by operation kind and step name.',
  labelNames: ['kind', 'step'] as const, registers,
});

export const reconcileRunsTotal = new Counter({
  name: 'fleetplane_reconcile_runs_total',
  help: 'Reconcile (drift scan) runs per cluster, by result.',
  labelNames: ['cluster', 'result'] as const, registers,
});

export const driftDetectedTotal = new Counter({
  name: 'fleetplane_drift_detected_total',
  help: 'Objects found drifted from their applied revision, per cluster.',
  labelNames: ['cluster'] as const, registers,
});

export const driftHealedTotal = new Counter({
  name: 'fleetplane_drift_healed_total',
  help: 'Drifted objects re-applied by self-heal, per cluster.',
  labelNames: ['cluster'] as const, registers,
});

export const clusterApiDuration = new Histogram({
  name: 'fleetplane_cluster_api_request_duration_seconds',
  help: 'Latency of Kubernetes API calls made by Fleetplane, by cluster and verb.',
  labelNames: ['cluster', 'verb'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const clusterApiErrorsTotal = new Counter({
  name: 'fleetplane_cluster_api_errors_total',
  help: 'Failed Kubernetes API calls, by cluster, verb and code class (4xx, 5xx, network).',
  labelNames: ['cluster', 'verb', 'code_class'] as const, registers,
});

export const clusterUp = new Gauge({
  name: 'fleetplane_cluster_up',
  help: '1 when the last health probe of the cluster API server succeeded, else 0.',
  labelNames: ['cluster'] as const, registers,
});

export const collectErrorsTotal = new Counter({
  name: 'fleetplane_metrics_collect_errors_total',
  help: 'Failures reading state for scrape-time gauges; the gauge keeps its last value.',
  labelNames: ['collector'] as const, registers,
});

const KINDS = new Set(['onboard', 'upgrade', 'patch', 'reconfigure', 'scale', 'rollback', 'offboard', 'hibernate', 'wake', 'move', 'reclaim']);
const VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'apply', 'delete']);
const STEP_RE = /^[a-z][a-z0-9-]{0,39}$/;

const kindLabel = (k: string): string => (KINDS.has(k) ? k : 'other');
const verbLabel = (v: string): string => (VERBS.has(v.toLowerCase()) ? v.toLowerCase() : 'other');
// Step names are fixed in code; guard against someone passing "apply deployment/foo".
const stepLabel = (s: string): string => (STEP_RE.test(s) ? s : 'other');

/** Starts timing an operation attempt; call the returned function once with its result. */
export function startOperation(kind: OperationKind | string): (result: OperationResult) => void {
  const end = operationDuration.startTimer({ kind: kindLabel(kind) });
  let done = false;
  return (result) => {
    if (done) return;
    done = true;
    end();
    operationsTotal.inc({ kind: kindLabel(kind), result });
  };
}

export function recordStepFailure(kind: OperationKind | string, step: string): void {
  stepFailuresTotal.inc({ kind: kindLabel(kind), step: stepLabel(step) });
}

export function recordReconcile(cluster: string, r: { result: 'ok' | 'error'; drifted?: number; healed?: number }): void {
  reconcileRunsTotal.inc({ cluster, result: r.result });
  if (r.drifted) driftDetectedTotal.inc({ cluster }, r.drifted);
  if (r.healed) driftHealedTotal.inc({ cluster }, r.healed);
}

function codeClass(status: number | undefined): string {
  return status && status >= 400 && status < 600 ? `${Math.floor(status / 100)}xx` : 'network';
}

/** Times one Kubernetes API call; errors are counted by code class and rethrown. */
export async function timeClusterCall<T>(cluster: string, verb: string, call: () => Promise<T>): Promise<T> {
  const labels = { cluster, verb: verbLabel(verb) };
  const end = clusterApiDuration.startTimer(labels);
  try {
    return await call();
  } catch (err) {
    // KubeApiError keeps the API server's answer as upstreamStatus; other clients use code/statusCode.
    const e = err as { upstreamStatus?: unknown; code?: unknown; statusCode?: unknown };
    const status = [e.upstreamStatus, e.code, e.statusCode].find((v): v is number => typeof v === 'number');
    clusterApiErrorsTotal.inc({ ...labels, code_class: codeClass(status) });
    throw err;
  } finally {
    end();
  }
}

export function setClusterUp(cluster: string, up: boolean): void {
  clusterUp.set({ cluster }, up ? 1 : 0);
}

// ---- scrape-time gauges -------------------------------------------------------------------------
// Registered on the registry and read through their collect(); their values come only from bind*().

type Source<T> = () => Promise<T>;
const sources: {
  queueDepth?: Source<Record<string, number>>;
  oldestLease?: Source<number | null>;
  environments?: Source<Array<{ cluster: string; health: string; count: number }>>;
  rollouts?: Source<RolloutProgress[]>;
} = {};

async function safeRead<T>(collector: string, source: Source<T> | undefined): Promise<T | undefined> {
  if (!source) return undefined;
  try {
    return await source();
  } catch {
    collectErrorsTotal.inc({ collector });
    return undefined;
  }
}

new Gauge({
  name: 'fleetplane_queue_depth',
  help: 'Operations in the durable queue, by state (pending, running, …).',
  labelNames: ['state'] as const, registers,
  async collect() {
    const depth = await safeRead('queue_depth', sources.queueDepth);
    if (!depth) return;
    this.reset();
    for (const [state, n] of Object.entries(depth)) this.set({ state }, n);
  },
});

new Gauge({
  name: 'fleetplane_queue_oldest_lease_age_seconds',
  help: 'Age of the oldest claim on a running operation, lease renewed or run out (0 when none); a stuck worker shows up here.',
  registers,
  async collect() {
    const age = await safeRead('oldest_lease', sources.oldestLease);
    if (age !== undefined) this.set(age ?? 0);
  },
});

new Gauge({
  name: 'fleetplane_environments',
  help: 'Customer environments by placement cluster and health.',
  labelNames: ['cluster', 'health'] as const, registers,
  async collect() {
    const rows = await safeRead('environments', sources.environments);
    if (!rows) return;
    this.reset();
    for (const r of rows) this.inc({ cluster: r.cluster, health: r.health }, r.count);
  },
});


new Gauge({
  name: 'fleetplane_rollout_environments',
  help: 'Environments targeted by rollouts, summed over rollouts in each state; progress = done/total.',
  labelNames: ['rollout_state', 'progress'] as const, registers,
  async collect() {
    const rows = await safeRead('rollouts', sources.rollouts);
    if (!rows) return;
    this.reset();
    for (const r of rows) {
      this.inc({ rollout_state: r.state, progress: 'done' }, r.done);
      this.inc({ rollout_state: r.state, progress: 'failed' }, r.failed);
      this.inc({ rollout_state: r.state, progress: 'total' }, r.total);
    }
  },
});

new Gauge({
  name: 'fleetplane_rollouts',
  help: 'Rollouts by state.',
  labelNames: ['state'] as const, registers,
  async collect() {
    const rows = await safeRead('rollouts', sources.rollouts);
    if (!rows) return;
    this.reset();
    for (const r of rows) this.inc({ state: r.state }, 1);
  },
});

/** Queue depth by state, read at scrape time (Store.stats.queueDepth). */
export function bindQueueDepth(source: Source<Record<string, number>>): void {
  sources.queueDepth = source;
}

/** Seconds since the oldest claim on a running operation was taken, or null when none runs (Store.stats.oldestLeaseAge). */
export function bindOldestLeaseAge(source: Source<number | null>): void {
  sources.oldestLease = source;
}

/** Environment counts grouped by cluster and health. */
export function bindEnvironmentHealth(source: Source<Array<{ cluster: string; health: string; count: number }>>): void {
  sources.environments = source;
}

/** One row per active or recent rollout (no ids: rows are summed by state). */
export function bindRolloutProgress(source: Source<RolloutProgress[]>): void {
  sources.rollouts = source;
}
