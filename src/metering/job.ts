// The metering job: each tick, sample every live environment (sampler.ts), then recompute records
// from the stored integrals (open hours, hours that closed, corrections for late data). Every step
// is idempotent against the store, so running it twice, after a crash, or on two replicas at once
// gives the same records. The clock is injected; `serve` drives runOnce from an alignedTicker.
import type { Logger } from 'pino';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import type { Store } from '../domain/ports/store.ts';
import { Ticker, type Clock } from '../clock.ts';
import { tickOf } from './dimensions.ts';
import type { MeteringConfig } from './config.ts';
import { sampleTick, type PodSource, type SampleResult } from './sampler.ts';
import type { MeteringStore, RefreshResult } from './types.ts';
import type { PodLike } from './pods.ts';

export interface MeteringJobOptions {
  store: Store;
  metering: MeteringStore;
  config: Pick<MeteringConfig, 'intervalMs' | 'graceMs' | 'gpuResources'>;
  now: () => Date;
  /** Sampler id recorded on samples (the worker id). */
  owner: string;
  logger?: Logger;
  /** The process's cluster clients (serve passes the engine's); pods are read through them. */
  connections?: ClusterConnections;
  /** Default: the pods of each environment's namespace through `connections`. */
  pods?: PodSource;
  /** Test hook, see SamplerOptions.afterSample. */
  afterSample?: (n: number) => void | Promise<void>;
}

export interface MeteringPass {
  sample: SampleResult;
  refresh: RefreshResult;
}

export function clusterPodSource(connections: ClusterConnections): PodSource {
  return async (cluster, namespace) => {
    const { kube } = await connections.get(cluster);
    return (await kube.list('v1', 'Pod', { namespace })) as unknown as PodLike[];
  };
}

export class MeteringJob {
  private readonly pods: PodSource;

  constructor(private readonly o: MeteringJobOptions) {
    if (!o.pods && !o.connections) throw new Error('MeteringJob needs pods or cluster connections');
    this.pods = o.pods ?? clusterPodSource(o.connections!);
  }

  /** One tick at the injected clock's now: sample, then refresh the records. */
  async runOnce(): Promise<MeteringPass> {
    const now = this.o.now();
    const tick = tickOf(now, this.o.config.intervalMs);
    const sample = await sampleTick({
      store: this.o.store, metering: this.o.metering, pods: this.pods, gpuResources: this.o.config.gpuResources, sampler: this.o.owner,
      ...(this.o.logger ? { logger: this.o.logger } : {}), ...(this.o.afterSample ? { afterSample: this.o.afterSample } : {}),
    }, tick, this.o.config.intervalMs, this.o.now);
    const refresh = await this.o.metering.refresh(this.o.now(), this.o.config.graceMs);
    if (refresh.corrections.length > 0) this.o.logger?.info({ corrections: refresh.corrections }, 'metering: late data corrected closed hours');
    return { sample, refresh };
  }
}

/**
 * A Ticker that runs `pass` just after each interval boundary of the wall clock `now` (so replicas
 * pass together and every tick is taken), on the injected clock; errors are logged and survived.
 */
export function alignedTicker(name: string, intervalMs: number, pass: () => Promise<unknown>, o: { now: () => Date; clock?: Clock; logger?: Logger }): Ticker {
  return new Ticker(() => pass(), {
    intervalMs, immediate: false, ...(o.clock ? { clock: o.clock } : {}),
    // 50 ms past the boundary: the tick is then surely the new one on every replica's clock.
    nextWaitMs: () => intervalMs - (o.now().getTime() % intervalMs) + 50,
    onError: (err) => o.logger?.error({ err }, `${name} pass failed`),
  });
}
