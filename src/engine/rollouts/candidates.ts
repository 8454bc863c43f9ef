// Loads the fleet as the wave planner sees it: every live environment on the rollout's blueprint,
// with its tenant's labels, tier and maintenance window.
import type { Store } from '../../domain/ports/store.ts';
import type { Environment, Tenant } from '../../domain/types.ts';
import type { RolloutCandidate } from '../../plan/rollout-waves.ts';
import { clusterVersion } from '../../plan/placement.ts';
import { allClusterRecords } from '../evacuate.ts';

const GONE = new Set(['Deleting', 'Deleted']);

export async function loadCandidates(store: Store, blueprint: string): Promise<RolloutCandidate[]> {
  const tenants = new Map<string, Tenant | null>();
  const clusterVersions = new Map<string, string | null>();
  for (const c of await allClusterRecords(store)) clusterVersions.set(c.name, clusterVersion(c));
  const out: RolloutCandidate[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ limit: 500, cursor });
    for (const env of page.items) {
      if (env.blueprint !== blueprint || GONE.has(env.health)) continue;
      if (!tenants.has(env.tenant)) tenants.set(env.tenant, await store.tenants.get(env.tenant));
      const tenant = tenants.get(env.tenant);
      if (!tenant || tenant.deletedAt) continue;
      out.push({ ...candidateOf(env, tenant), clusterVersion: clusterVersions.get(env.placement.cluster) ?? null });
    }
    cursor = page.next;
  } while (cursor);
  return out;
}

function candidateOf(env: Environment, tenant: Tenant): RolloutCandidate {
  return {
    tenant: env.tenant, environment: env.name, envType: env.type, cluster: env.placement.cluster, version: env.version,
    tenantLabels: tenant.labels ?? {}, tier: tenant.tier, channel: tenant.channel,
    ...(tenant.maintenanceWindow ? { maintenanceWindow: tenant.maintenanceWindow } : {}),
  };
}
