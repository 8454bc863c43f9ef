// The sampler: at one tick, read what each live environment's pods request from its cluster (one
// pod list per namespace through the kube adapter) and store one sample per environment. Samples
// already stored for the tick (another replica, a re-run) are not taken again.
import type { Logger } from 'pino';
import { mapLimit } from '../adapters/kube/concurrency.ts';
import type { Store } from '../domain/ports/store.ts';
import { coerceError } from '../domain/errors.ts';
import type { Environment } from '../domain/types.ts';
import { sumRequests, type PodLike } from './pods.ts';
import type { MeteringStore, Sample } from './types.ts';

/** Lists the pods of one namespace on one registered cluster. */
export type PodSource = (cluster: string, namespace: string) => Promise<PodLike[]>;

export interface SamplerOptions {
  store: Pick<Store, 'environments' | 'ai'>;
  metering: MeteringStore;
  pods: PodSource;
  gpuResources: readonly string[];
  /** Who took the sample (worker id). */
  sampler: string;
  logger?: Logger;
  /** Test hook: after each stored sample, with the count so far in this tick. */
  afterSample?: (n: number) => void | Promise<void>;
}

export interface SampleResult {
  tick: string;
  environments: number;
  stored: number;
  alreadySampled: number;
  errors: Array<{ tenant: string; environment: string; message: string }>;
}

/** Environments that exist and run somewhere: placed on a cluster and not offboarded. */
export async function liveEnvironments(store: Pick<Store, 'environments'>): Promise<Environment[]> {
  const out: Environment[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.filter((e) => e.health !== 'Deleted' && e.placement.cluster !== ''));
    cursor = page.next;
  } while (cursor);
  return out;
}

/**
 * What each hibernated environment's open period holds back ("tenant/environment" -> replicas, GPUs):
 * sampled with its (empty) pods, so the saving is metered by the same ticks as the usage it replaces.
 */
export async function heldBack(store: Pick<Store, 'ai'>): Promise<Map<string, { replicas: number; gpus: number }>> {
  const out = new Map<string, { replicas: number; gpus: number }>();
  for (const h of await store.ai.hibernations()) {
    if (h.state !== 'hibernated') continue;
    const open = (await store.ai.periods(h.tenant, h.environment)).find((p) => p.endedAt === null);
    if (open) out.set(`${h.tenant}/${h.environment}`, { replicas: open.replicas, gpus: open.gpus });
  }
  return out;
}

export async function sampleTick(o: SamplerOptions, tick: Date, intervalMs: number, now: () => Date): Promise<SampleResult> {
  const envs = await liveEnvironments(o.store);
  const held = await heldBack(o.store);
  const done = await o.metering.sampledAt(tick);
  const todo = envs.filter((e) => !done.has(`${e.tenant}/${e.name}`));
  const result: SampleResult = { tick: tick.toISOString(), environments: envs.length, stored: 0, alreadySampled: envs.length - todo.length, errors: [] };
  await mapLimit(todo, 8, async (e) => {
    try {
      const pods = await o.pods(e.placement.cluster, e.placement.namespace);
      const r = sumRequests(pods, o.gpuResources);
      const sample: Sample = {
        tenant: e.tenant, environment: e.name, at: tick, seconds: intervalMs / 1000, cluster: e.placement.cluster, namespace: e.placement.namespace,
        pods: r.pods, cpuMillis: r.cpuMillis, memoryBytes: r.memoryBytes, gpus: r.gpus,
      };
      const saved = held.get(`${e.tenant}/${e.name}`);
      if (saved) Object.assign(sample, { savedReplicas: saved.replicas, savedGpus: saved.gpus });
      // Awaited first: `stored += await …` would read `stored` before the await and lose the other
      // environments' counts that land meanwhile.
      const stored = await o.metering.recordSamples([sample], o.sampler, now());
      result.stored += stored;
      await o.afterSample?.(result.stored);
    } catch (raw) {
      const err = coerceError(raw);
      result.errors.push({ tenant: e.tenant, environment: e.name, message: err.message });
      o.logger?.warn({ tenant: e.tenant, environment: e.name, cluster: e.placement.cluster, err }, 'metering: could not sample the environment');
    }
  });
  return result;
}
