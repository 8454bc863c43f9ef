// The pre-scaler's run loop inside `fleetplane serve`: every interval, one pass over the opted-in
// environments. With several serve processes on one PostgreSQL, an advisory lock lets one of them run
// each pass. Starts only when FLEETPLANE_PROMETHEUS_URL names the Prometheus to read. Cluster
// clients come from the process's one ClusterConnections (serve passes the engine's).
import type { Logger } from 'pino';
import { ClusterConnections } from '../adapters/kube/index.ts';
import { PrometheusClient } from '../adapters/prometheus/client.ts';
import type { Db } from '../adapters/store/db.ts';
import type { Store } from '../adapters/store/port.ts';
import { Ticker, type Clock } from '../clock.ts';
import { timeClusterCall } from '../metrics/engine.ts';
import { CachedHistory } from './history.ts';
import { KubeHpaPort } from './hpa.ts';
import { Prescaler } from './prescaler.ts';
import { scalingStoreFor } from './store.ts';
import type { ScalingDecision } from './types.ts';

/** "fp-scale" in ASCII: one pre-scaler pass at a time across processes. */
export const PRESCALE_LOCK_KEY = 0x66702d7363616c65n;

export interface PrescalerLoopOptions {
  store: Store;
  logger?: Logger;
  prometheusUrl?: string;
  /** Between passes (default 60 s, env FLEETPLANE_PRESCALE_INTERVAL_SECONDS). */
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
  const url = opts.prometheusUrl ?? process.env.FLEETPLANE_PROMETHEUS_URL;
  if (!url) return null;
  const interval = opts.intervalMs ?? 1000 * (Number(process.env.FLEETPLANE_PRESCALE_INTERVAL_SECONDS) || 60);
  const connections = opts.connections ?? new ClusterConnections(opts.store.clusters, { timeCall: timeClusterCall, ...(opts.clock ? { clock: opts.clock } : {}) });
  const prescaler = new Prescaler({
    history: new CachedHistory(new PrometheusClient({ url })),
    hpa: new KubeHpaPort((cluster) => connections.client(cluster)),
    store: scalingStoreFor(opts.store),
    now: opts.now ?? (() => new Date()),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const db = (opts.store as { db?: Db }).db;
  const runOnce = async (): Promise<ScalingDecision[]> => {
    // PGlite is one process and one connection: holding a transaction there would block the writes.
    if (!db || db.kind !== 'postgres') return prescaler.runOnce();
    return db.transaction(async (q) => {
      const r = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [PRESCALE_LOCK_KEY.toString()]);
      return r.rows[0]?.ok ? prescaler.runOnce() : [];
    });
  };
  const ticker = new Ticker(runOnce, {
    intervalMs: interval, immediate: false, ...(opts.clock ? { clock: opts.clock } : {}),
    onError: (err) => opts.logger?.error({ err }, 'prescale pass failed'),
  });
  ticker.start();
  opts.logger?.info({ prometheus: url, intervalMs: interval }, 'pre-scaler started');
  return { runOnce, stop: () => ticker.stop() };
}
