// Moving environments and evacuating clusters, for the API (docs/clusters.md "Move and evacuate").
// A move's target is decided here, before anything is written: the operator's `to` must pass the
// hard placement checks (isolation, residency, availability, cordon: 409 with the reason; capacity
// is only reported), or placement chooses one with the source excluded (409 when none fits). The
// engine's move workflow then carries it out (engine/move.ts). An evacuation is planned whole
// (engine/evacuate.ts) and followed by the evacuation controller (engine/evacuations.ts).
import type { Store } from '../../domain/ports/store.ts';
import { ConflictError, InputError, NotFoundError } from '../../domain/errors.ts';
import { EvacuationBusyError, type Evacuation } from '../../domain/evacuation.ts';
import { clusterLoads, demandReader, kubernetesRangeReader, tenantTiers } from '../../engine/place.ts';
import { allClusterRecords, createEvacuation, planClusterEvacuation, unmovable, type EvacuationSettings } from '../../engine/evacuate.ts';
import { RESIDENCY_LABEL, planPlacement } from '../../plan/placement.ts';
import { checkMoveTarget } from '../../plan/move.ts';
import type { Planner } from './environment-actions.ts';

export interface MoveRequest { to?: string; reason?: string }

/** The move planner: checks the environment and its target; refuses (nothing written) with the reason. */
export function movePlanner(settings: EvacuationSettings): Planner<MoveRequest> {
  return async (store, env, body) => {
    const what = `environment "${env.tenant}/${env.name}"`;
    const why = unmovable(env);
    if (why) throw new ConflictError(`${what} cannot be moved: ${why}`);
    const from = env.placement.cluster;
    const tenant = await store.tenants.get(env.tenant);
    if (!tenant) throw new NotFoundError(`tenant "${env.tenant}"`);
    if (tenant.channel === 'self-managed') throw new ConflictError(`${what} is self-managed: it runs on the customer's cluster`);
    if (body.to === from) throw new InputError(`${what} is already on ${from}`, [{ field: '/to', message: `already on ${from}` }]);
    const demandOf = demandReader(store);
    const tiers = await tenantTiers(store);
    const loads = await clusterLoads(store, demandOf, tiers, env);
    const demand = await demandOf(env, tenant.tier);
    const req = {
      tenant: tenant.slug, tier: tenant.tier, type: env.type, region: tenant.region, residency: tenant.labels[RESIDENCY_LABEL], demand, avoid: [from],
      overcommit: { cpu: settings.cpuOvercommit, memory: settings.memoryOvercommit },
      kubernetes: await kubernetesRangeReader(store)(env),
    };
    const base = { from, reason: body.reason ?? 'manual' };
    if (body.to) {
      const target = loads.find((l) => l.cluster.name === body.to);
      if (!target) throw new InputError(`unknown cluster "${body.to}"`, [{ field: '/to', message: `no cluster named "${body.to}"` }]);
      const check = checkMoveTarget(req, target, settings.policy);
      if (!check.ok) throw new ConflictError(`cluster ${body.to} cannot take ${what}: ${check.reason} (${check.check})`);
      return { kind: 'move', params: { ...base, to: body.to, chosen: false, ...(check.warnings.length ? { warnings: check.warnings } : {}) }, issues: [] };
    }
    const plan = planPlacement(req, loads, settings.policy);
    if (plan.cluster === null) {
      throw new ConflictError(`no cluster can take ${what}: ${plan.rejected.map((r) => `${r.cluster}: ${r.reason}`).join('; ')}`);
    }
    return { kind: 'move', params: { ...base, to: plan.cluster, chosen: true, explanation: plan.explanation }, issues: [] };
  };
}

export interface EvacuateRequest { concurrency?: number; reason?: string; dryRun?: boolean }

/** The clusters of a region (their `region` field), or 404. */
export async function clustersOfRegion(store: Pick<Store, 'clusters'>, region: string): Promise<string[]> {
  const names = (await allClusterRecords(store)).filter((c) => c.region === region).map((c) => c.name).sort();
  if (names.length === 0) throw new NotFoundError(`no cluster in region "${region}"`);
  return names;
}

/** Dry run (the plan, nothing written) or a new evacuation; 409 while one of the clusters is being evacuated already. */
export async function evacuate(store: Store, settings: EvacuationSettings, target: { clusters: string[]; region: string | null }, body: EvacuateRequest, now: Date): Promise<{ dryRun: true; clusters: string[]; moves: Awaited<ReturnType<typeof planClusterEvacuation>> } | { dryRun: false; evacuation: Evacuation }> {
  const { clusters, region } = target;
  for (const name of clusters) if (!(await store.clusters.get(name))) throw new NotFoundError(`cluster "${name}"`);
  if (body.dryRun) return { dryRun: true, clusters, moves: await planClusterEvacuation(store, settings, clusters) };
  // Read first for the common case; the store's hold on each cluster (migration 2110) decides a race.
  const busy = (await store.evacuations.running()).find((e) => e.clusters.some((c) => clusters.includes(c)));
  if (busy) throw new EvacuationBusyError(busy, clusters);
  const { evacuation } = await createEvacuation(store, settings, {
    clusters, region, trigger: 'manual', reason: body.reason ?? 'evacuated by an operator', concurrency: body.concurrency ?? 5, now,
  });
  return { dryRun: false, evacuation };
}
