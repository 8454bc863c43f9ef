// Planning and creating evacuations (docs/clusters.md "Move and evacuate"), shared by the API
// (POST /v1/clusters/{name}:evacuate, /v1/regions/{region}:evacuate, the evacuation-plan dry run)
// and the failover loop. Every environment on the evacuated clusters is placed in turn with those
// clusters excluded, each choice counted in the loads the next one sees (plan/move.ts
// planEvacuation), and explained; an environment that cannot move (never
// delivered, being offboarded, no cluster fits) is listed with why and not moved. GitOps-delivered
// environments move too: through Git, with a second Application for the target (ADR 1030).
import type { Store } from '../domain/ports/store.ts';
import type { Evacuation, EvacuationMove } from '../domain/evacuation.ts';
import type { Cluster, Environment, Tier } from '../domain/types.ts';
import { RESIDENCY_LABEL, type PlacementPolicySetting } from '../plan/placement.ts';
import { planEvacuation, type EvacueeInput, type PlannedMove } from '../plan/move.ts';
import { clusterLoads, demandReader, kubernetesRangeReader, tenantTiers } from './place.ts';

export interface EvacuationSettings { policy: PlacementPolicySetting; cpuOvercommit: number; memoryOvercommit: number }

export async function allClusterRecords(store: Pick<Store, 'clusters'>): Promise<Cluster[]> {
  const out: Cluster[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

export async function environmentsOn(store: Pick<Store, 'environments'>, cluster: string): Promise<Environment[]> {
  const out: Environment[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ cluster, limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.filter((e) => e.health !== 'Deleted'));
    cursor = page.next;
  } while (cursor);
  return out;
}

/** Why an environment cannot be moved at all, or null (direct and GitOps delivery both move: ADR 1030). */
export function unmovable(e: Pick<Environment, 'health' | 'appliedRevision'>): string | null {
  if (e.health === 'Deleting') return 'being offboarded';
  if (!e.appliedRevision) return 'nothing delivered yet';
  return null;
}

/** Each environment of the clusters (of the given tiers only, when set), where it would go and why. */
export async function planClusterEvacuation(store: Store, settings: EvacuationSettings, clusters: readonly string[], tiers?: readonly Tier[]): Promise<PlannedMove[]> {
  const demandOf = demandReader(store);
  const tierOf = await tenantTiers(store);
  const loads = await clusterLoads(store, demandOf, tierOf, { tenant: '', name: '' });
  const rangeOf = kubernetesRangeReader(store);
  const evacuees: EvacueeInput[] = [];
  const refused: PlannedMove[] = [];
  for (const cluster of clusters) {
    for (const e of await environmentsOn(store, cluster)) {
      const tenant = await store.tenants.get(e.tenant);
      if (!tenant || (tiers && !tiers.includes(tenant.tier))) continue;
      const why = unmovable(e);
      if (why) {
        refused.push({ tenant: e.tenant, environment: e.name, from: cluster, to: null, explanation: `not moved: ${why}`, rejected: [] });
        continue;
      }
      const demand = await demandOf(e, tenant.tier);
      evacuees.push({
        tenant: e.tenant, environment: e.name, from: cluster, demand,
        request: {
          tenant: tenant.slug, tier: tenant.tier, type: e.type, region: tenant.region, residency: tenant.labels[RESIDENCY_LABEL], demand,
          overcommit: { cpu: settings.cpuOvercommit, memory: settings.memoryOvercommit },
          kubernetes: await rangeOf(e),
        },
      });
    }
  }
  return [...planEvacuation(evacuees, loads, clusters, settings.policy), ...refused];
}

export interface CreateEvacuation {
  clusters: string[];
  region?: string | null;
  trigger: Evacuation['trigger'];
  reason: string;
  concurrency: number;
  lostAt?: string | null;
  tiers?: readonly Tier[];
  /** A failover's outage key: the same outage never creates a second evacuation. */
  key?: string;
  now: Date;
}

/**
 * Cordons the clusters (nothing new lands there) and records the evacuation; the controller moves
 * them. A failover with nothing to move (no environment of its tiers there) cordons nothing: the
 * cluster is not being emptied, and a cordon would outlive its return. An operator's evacuation of an
 * empty cluster still cordons it (that is the point of emptying it).
 */
export async function createEvacuation(store: Store, settings: EvacuationSettings, c: CreateEvacuation): Promise<{ evacuation: Evacuation; created: boolean }> {
  const planned = await planClusterEvacuation(store, settings, c.clusters, c.tiers);
  const moves: EvacuationMove[] = planned.map((m) => ({
    tenant: m.tenant, environment: m.environment, from: m.from, to: m.to, explanation: m.explanation, state: m.to === null ? 'unplaceable' : 'pending',
  }));
  const out = await store.evacuations.create({
    clusters: c.clusters, region: c.region ?? null, trigger: c.trigger, reason: c.reason, concurrency: c.concurrency, lostAt: c.lostAt ?? null, moves,
  }, c.key ?? null);
  if (out.created && (c.trigger === 'manual' || moves.length > 0)) {
    for (const name of c.clusters) {
      const cl = await store.clusters.get(name);
      if (cl && !cl.cordon) await store.clusters.setCordon(name, { reason: `evacuating (${out.evacuation.id}): ${c.reason}`, at: c.now.toISOString() });
    }
  }
  return out;
}
