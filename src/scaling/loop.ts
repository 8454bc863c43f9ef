// The pre-scaler's run loop inside `fleetplane serve`: every interval, one pass over the opted-in
// environments. With several serve processes on one PostgreSQL, a store lock (Store.exclusive) lets
// one of them run each pass. Starts only when given the Prometheus to read (FLEETPLANE_PROMETHEUS_URL).
import type { Logger } from 'pino';
import { KubeClient } from '../adapters/kube/index.ts';
import { PrometheusClient } from '../adapters/prometheus/client.ts';
import type { Store } from '../domain/ports/store.ts';
import type { ScalingDecision } from '../domain/scaling.ts';
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
  const url = opts.prometheusUrl;
  if (!url) return null;
  const interval = opts.intervalMs ?? PRESCALE_INTERVAL_MS;
  const prescaler = new Prescaler({
    history: new CachedHistory(new PrometheusClient({ url })),
    hpa: new KubeHpaPort(clusterClients(opts.store)),
    store: opts.store.scaling,
    now: opts.now ?? (() => new Date()),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const runOnce = async (): Promise<ScalingDecision[]> => {
    const pass = await opts.store.exclusive('prescaler', () => prescaler.runOnce());
    return pass.ran ? pass.result : [];
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
