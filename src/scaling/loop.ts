// The pre-scaler's run loop inside `fleetplane serve`: every interval, one pass over the opted-in
// environments. With several serve processes on one PostgreSQL, an advisory lock lets one of them run
// each pass. Starts only when FLEETPLANE_PROMETHEUS_URL names the Prometheus to read.
import type { Logger } from 'pino';
import { KubeClient } from '../adapters/kube/index.ts';
import { PrometheusClient } from '../adapters/prometheus/client.ts';
import type { Db } from '../adapters/store/db.ts';
import type { Store } from '../adapters/store/port.ts';
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
}

export interface PrescalerLoop {
  runOnce(): Promise<ScalingDecision[]>;
  stop(): Promise<void>;
}

/** Kube clients for registered clusters from their stored (encrypted) credentials. */
function clusterClients(store: Store): (cluster: string) => Promise<KubeClient> {
  const cache = new Map<string, Promise<KubeClient>>();
  return (cluster) => {
    let c = cache.get(cluster);
    if (!c) {
      c = store.clusters.credentials(cluster).then((content) => {
        if (!content) throw new Error(`cluster "${cluster}" has no stored credentials`);
        return KubeClient.fromKubeconfig({ content });
      });
      c.catch(() => cache.delete(cluster));
      cache.set(cluster, c);
    }
    return c;
  };
}

export function startPrescalerLoop(opts: PrescalerLoopOptions): PrescalerLoop | null {
  const url = opts.prometheusUrl ?? process.env.FLEETPLANE_PROMETHEUS_URL;
  if (!url) return null;
  const interval = opts.intervalMs ?? 1000 * (Number(process.env.FLEETPLANE_PRESCALE_INTERVAL_SECONDS) || 60);
  const prescaler = new Prescaler({
    history: new CachedHistory(new PrometheusClient({ url })),
    hpa: new KubeHpaPort(clusterClients(opts.store)),
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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = (): void => {
    running = runOnce()
      .catch((err: unknown) => opts.logger?.error({ err }, 'prescale pass failed'))
      .finally(() => { if (!stopped) timer = setTimeout(tick, interval).unref(); });
  };
  timer = setTimeout(tick, interval).unref();
  opts.logger?.info({ prometheus: url, intervalMs: interval }, 'pre-scaler started');
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
