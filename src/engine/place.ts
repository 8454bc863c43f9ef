// place: keep an environment's cluster when it is registered, otherwise choose one (plan/placement.ts)
// by the tenant's tier, cluster roles, capacity and current load. Capacity: what the environments
// already placed on a cluster reserve (their quota CPU, from their blueprint release), plus this
// one's, against the cluster's allocatable CPU (observed by the cluster inventory) times the
// overcommit (FLEETPLANE_CPU_OVERCOMMIT). Counted from the store, so a burst of placements sees its
// own earlier choices before any of them reach the cluster.
import { cpuMillis } from '../adapters/kube/quantity.ts';
import type { Environment } from '../domain/types.ts';
import { placeEnvironment, type ClusterLoad } from '../plan/placement.ts';
import { PermanentError, loadEnvironment, type StepEnv } from './context.ts';

const AUTO = new Set(['', 'auto', '*']);

export async function placeStep(s: StepEnv): Promise<Record<string, unknown>> {
  const env = await loadEnvironment(s);
  const store = s.deps.store;
  if (!AUTO.has(env.placement.cluster) && (await store.clusters.get(env.placement.cluster))) return { cluster: env.placement.cluster, chosen: false };
  const tenant = await store.tenants.get(env.tenant);
  if (!tenant) throw new PermanentError(`tenant ${env.tenant} does not exist`);
  const quota = quotaReader(s);
  const loads = await clusterLoads(s, quota);
  const decision = placeEnvironment({
    tenant: tenant.slug, tier: tenant.tier, region: tenant.region, cpuMillis: await quota(env), cpuOvercommit: s.deps.config.cpuOvercommit,
  }, loads);
  if (decision.cluster === null) {
    throw new PermanentError(`no cluster can take ${env.tenant}/${env.name}: ${JSON.stringify(decision.reasons)}`);
  }
  await store.queue.updateEnvironment(env.tenant, env.name, { cluster: decision.cluster }, s.lease);
  return { cluster: decision.cluster, chosen: true };
}

type QuotaReader = (env: Pick<Environment, 'blueprint' | 'version' | 'type'>) => Promise<number>;

/** Quota CPU (millis) of an environment's type in its blueprint release; 0 when unknown. Cached per release and type. */
function quotaReader(s: StepEnv): QuotaReader {
  const cache = new Map<string, Promise<number>>();
  return (env) => {
    const key = `${env.blueprint}@${env.version}|${env.type}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = s.deps.store.blueprints.get(env.blueprint, env.version).then((rel) => {
        const doc = (rel?.spec ?? {}) as { spec?: unknown; environmentTypes?: unknown };
        const spec = (doc.environmentTypes ? doc : doc.spec ?? {}) as { environmentTypes?: Record<string, { quota?: { cpu?: string | number } }> };
        const cpu = spec.environmentTypes?.[env.type]?.quota?.cpu;
        try {
          return cpu === undefined ? 0 : cpuMillis(cpu);
        } catch {
          return 0;
        }
      });
      cache.set(key, hit);
    }
    return hit;
  };
}

async function clusterLoads(s: StepEnv, quota: QuotaReader): Promise<ClusterLoad[]> {
  const counts = new Map<string, number>();
  const reserved = new Map<string, number>();
  let after: Pick<Environment, 'tenant' | 'name'> | null = null;
  for (;;) {
    const page = await s.deps.store.queue.listEnvironments(after, 500);
    for (const e of page) {
      if (e.health === 'Deleted') continue;
      counts.set(e.placement.cluster, (counts.get(e.placement.cluster) ?? 0) + 1);
      reserved.set(e.placement.cluster, (reserved.get(e.placement.cluster) ?? 0) + await quota(e));
    }
    if (page.length < 500) break;
    after = page[page.length - 1]!;
  }
  const loads: ClusterLoad[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.deps.store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const c of page.items) loads.push({ cluster: c, environments: counts.get(c.name) ?? 0, cpuMillis: reserved.get(c.name) ?? 0 });
    cursor = page.next;
  } while (cursor);
  return loads;
}
