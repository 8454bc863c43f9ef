// The pre-scaler's run loop inside `fleetplane serve`: every interval, one pass over the opted-in
// environments. With several serve processes on one PostgreSQL, a store lock (Store.exclusive) lets
// one of them run each pass. Starts only when given the Prometheus to read (FLEETPLANE_PROMETHEUS_URL).
// Cluster clients come from the process's one ClusterConnections (serve passes the engine's).
import type { Logger } from 'pino';
import { ClusterConnections } from '../adapters/kube/index.ts';
import { PrometheusClient } from '../adapters/prometheus/client.ts';
import type { Store } from '../domain/ports/store.ts';
import type { ScalingDecision } from '../domain/scaling.ts';
import { Ticker, type Clock } from '../clock.ts';
import { timeClusterCall } from '../metrics/engine.ts';
import { CachedHistory } from './history.ts';
import { KubeHpaPort } from './hpa.ts';
import { Prescaler } from './prescaler.ts';

/** Default time between passes (FLEETPLANE_PRESCALE_INTERVAL_SECONDS). */
export const PRESCALE_INTERVAL_MS = 60_000;

export interface PrescalerLoopOptions {
  store: Store;
  logger?: Logger;
  /** The Prometheus to read; no loop without one. */
  prometheusUrl?: string | undefined;
  /** Between passes (default 60 s). */
  intervalMs?: number;
  now?: () => Date;
  clock?: Clock;
  /** Cluster clients (default: its own cache over the store's credentials). */
  connections?: ClusterConnections;
}

export interface PrescalerLoop {
  runOnce(): Promise<ScalingDecision[]>;
  stop(): Promise<void>;
}

export function startPrescalerLoop(opts: PrescalerLoopOptions): PrescalerLoop | null {
  const url = opts.prometheusUrl;
  if (!url) return null;
  const interval = opts.intervalMs ?? PRESCALE_INTERVAL_MS;
  const connections = opts.connections ?? new ClusterConnections(opts.store.clusters, { timeCall: timeClusterCall, ...(opts.clock ? { clock: opts.clock } : {}) });
  const prescaler = new Prescaler({
    history: new CachedHistory(new PrometheusClient({ url })),
    hpa: new KubeHpaPort((cluster) => connections.client(cluster)),
    store: opts.store.scaling,
    placement: async (tenant, env) => (await opts.store.environments.get(tenant, env))?.placement ?? null,
    hibernated: async (tenant, env) => (await opts.store.ai.hibernation(tenant, env))?.state === 'hibernated',
    now: opts.now ?? (() => new Date()),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const runOnce = async (): Promise<ScalingDecision[]> => {
    const pass = await opts.store.exclusive('prescaler', () => prescaler.runOnce());
    return pass.ran ? pass.result : [];
  };
  const ticker = new Ticker(runOnce, {
    intervalMs: interval, immediate: false, ...(opts.clock ? { clock: opts.clock } : {}),
    onError: (err) => opts.logger?.error({ err }, 'prescale pass failed'),
  });
  ticker.start();
  opts.logger?.info({ prometheus: url, intervalMs: interval }, 'pre-scaler started');
  return { runOnce, stop: () => ticker.stop() };
}
