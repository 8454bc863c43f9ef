// place: keep an environment's cluster when it is registered, otherwise choose one (plan/placement.ts)
// by the tenant's tier, cluster roles, capacity and current load.
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
  const loads = await clusterLoads(s);
  const decision = placeEnvironment({ tenant: tenant.slug, tier: tenant.tier, region: tenant.region }, loads);
  if (decision.cluster === null) {
    throw new PermanentError(`no cluster can take ${env.tenant}/${env.name}: ${JSON.stringify(decision.reasons)}`);
  }
  await store.queue.updateEnvironment(env.tenant, env.name, { cluster: decision.cluster }, s.lease);
  return { cluster: decision.cluster, chosen: true };
}

async function clusterLoads(s: StepEnv): Promise<ClusterLoad[]> {
  const counts = new Map<string, number>();
  let after: Pick<Environment, 'tenant' | 'name'> | null = null;
  for (;;) {
    const page = await s.deps.store.queue.listEnvironments(after, 500);
    for (const e of page) if (e.health !== 'Deleted') counts.set(e.placement.cluster, (counts.get(e.placement.cluster) ?? 0) + 1);
    if (page.length < 500) break;
    after = page[page.length - 1]!;
  }
  const loads: ClusterLoad[] = [];
  let cursor: string | undefined;
  do {
    const page = await s.deps.store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const c of page.items) loads.push({ cluster: c, environments: counts.get(c.name) ?? 0, cpuMillis: 0 });
    cursor = page.next;
  } while (cursor);
  return loads;
}
