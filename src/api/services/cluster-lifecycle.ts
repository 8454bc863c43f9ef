// Cluster lifecycle for the API (docs/clusters.md): placement preview (the place step's planner on
// the same loads, nothing written), a cluster's evacuation plan (dry run: where each environment
// would go with that cluster excluded), the fleet version report with the removed-API pre-flight,
// and creating an upgrade plan (refused while a rendered object uses an API the target removed).
import type { Store } from '../../domain/ports/store.ts';
import type { Cluster, EnvironmentType, KubeObject, Tenant } from '../../domain/types.ts';
import { ConflictError, InputError, NotFoundError } from '../../domain/errors.ts';
import { ENGINE_DEFAULTS } from '../../engine/defaults.ts';
import { clusterLoads, demandReader, kubernetesRangeReader, tenantTiers } from '../../engine/place.ts';
import { allClusterRecords, environmentsOn, planClusterEvacuation } from '../../engine/evacuate.ts';
import { RESIDENCY_LABEL, clusterVersion, planPlacement, type PlacementPlan, type PlacementPolicy, type PlacementPolicySetting, type Resources } from '../../plan/placement.ts';
import { rangeText, removedApiUses, upgradeRangeBlockers, versionReport, type RangeBlocker, type RemovedApiUse, type RunningRelease, type VersionReport } from '../../plan/kube-versions.ts';
import { planClusterUpgrade, type UpgradeOptions } from '../../plan/cluster-upgrade.ts';
import type { ClusterUpgrade } from '../../domain/cluster-upgrade.ts';

export interface PlacementSettings { policy: PlacementPolicySetting; cpuOvercommit: number; memoryOvercommit: number }

export const DEFAULT_PLACEMENT: PlacementSettings = {
  policy: ENGINE_DEFAULTS.placementPolicy, cpuOvercommit: ENGINE_DEFAULTS.cpuOvercommit, memoryOvercommit: ENGINE_DEFAULTS.memoryOvercommit,
};

export interface PreviewInput {
  tenant: Tenant;
  blueprint?: string | undefined;
  version?: string | undefined;
  type?: EnvironmentType | undefined;
  demand?: Partial<Resources> | undefined;
  policy?: PlacementPolicy | undefined;
  avoid?: string[] | undefined;
}

export async function previewPlacement(store: Store, settings: PlacementSettings, i: PreviewInput): Promise<PlacementPlan & { demand: Resources }> {
  const demandOf = demandReader(store);
  const tiers = await tenantTiers(store);
  const fromBlueprint = i.blueprint && i.version ? await demandOf({ blueprint: i.blueprint, version: i.version, type: i.type ?? 'prod' }, i.tenant.tier) : null;
  const demand: Resources = { cpuMillis: 0, memoryBytes: 0, gpus: 0, ...fromBlueprint, ...i.demand };
  const loads = await clusterLoads(store, demandOf, tiers, { tenant: i.tenant.slug, name: '' });
  const plan = planPlacement({
    tenant: i.tenant.slug, tier: i.tenant.tier, ...(i.type ? { type: i.type } : {}), region: i.tenant.region, residency: i.tenant.labels[RESIDENCY_LABEL],
    demand, overcommit: { cpu: settings.cpuOvercommit, memory: settings.memoryOvercommit }, ...(i.avoid ? { avoid: i.avoid } : {}),
    kubernetes: i.blueprint && i.version ? await kubernetesRangeReader(store)({ blueprint: i.blueprint, version: i.version }) : undefined,
  }, loads, i.policy ?? settings.policy);
  return { ...plan, ...(i.policy ? { policyFrom: 'request' } : {}), demand };
}

/** What a tenant may see of a plan: clusters dedicated to other tenants are left out entirely. */
export function tenantView(plan: PlacementPlan, clusters: ReadonlyMap<string, Cluster>, tenant: string): PlacementPlan {
  const visible = (name: string) => {
    const role = clusters.get(name)?.role ?? 'shared';
    return !role.startsWith('dedicated:') || role === `dedicated:${tenant}`;
  };
  return { ...plan, eligible: plan.eligible.filter((e) => visible(e.cluster)), rejected: plan.rejected.filter((r) => visible(r.cluster)) };
}

/** Every cluster record, every page (the engine's evacuation planner reads them the same way). */
export const allClusters = allClusterRecords;

/**
 * Dry run of evacuating a cluster: each environment's placement with the cluster excluded, in
 * order, each counted in the next one's loads: the plan POST /v1/clusters/{name}:evacuate carries out.
 */
export async function evacuationPlan(store: Store, settings: PlacementSettings, cluster: string) {
  if (!(await store.clusters.get(cluster))) throw new NotFoundError(`cluster "${cluster}"`);
  const planned = await planClusterEvacuation(store, settings, [cluster]);
  const moves = planned.map(({ from: _from, ...m }) => m);
  return { cluster, dryRun: true, environments: moves.length, unplaceable: moves.filter((m) => m.to === null).length, moves };
}

/** The rendered objects of every environment on the given clusters (their applied or desired revision). */
async function renderedOn(store: Store, clusters: readonly string[]) {
  const out: Array<{ tenant: string; environment: string; objects: KubeObject[] }> = [];
  for (const c of clusters) {
    for (const e of await environmentsOn(store, c)) {
      const id = e.appliedRevision ?? e.desiredRevision;
      const rev = id ? await store.revisions.get(e.tenant, e.name, id) : null;
      if (rev) out.push({ tenant: e.tenant, environment: e.name, objects: rev.objects.map((o) => o.object) });
    }
  }
  return out;
}

/** The blueprint releases each cluster's environments run, with the Kubernetes range each declares. */
async function releasesOn(store: Store, clusters: readonly string[]): Promise<Map<string, RunningRelease[]>> {
  const rangeOf = kubernetesRangeReader(store);
  const out = new Map<string, RunningRelease[]>();
  for (const c of clusters) {
    const counts = new Map<string, { blueprint: string; version: string; n: number }>();
    for (const e of await environmentsOn(store, c)) {
      const key = `${e.blueprint}@${e.version}`;
      const hit = counts.get(key) ?? { blueprint: e.blueprint, version: e.version, n: 0 };
      hit.n++;
      counts.set(key, hit);
    }
    const list: RunningRelease[] = [];
    for (const [release, r] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      list.push({ release, kubernetes: (await rangeOf(r))?.range, environments: r.n });
    }
    out.set(c, list);
  }
  return out;
}

export async function fleetVersions(store: Store, now: Date, target?: string): Promise<VersionReport & { target?: string; removedApis?: RemovedApiUse[]; outsideRange?: RangeBlocker[] }> {
  const clusters = await allClusters(store);
  const releases = await releasesOn(store, clusters.map((c) => c.name));
  const report = versionReport(clusters.map((c) => ({ name: c.name, provider: c.provider, region: c.region, version: clusterVersion(c) })), now, releases);
  if (!target) return report;
  return {
    ...report, target,
    removedApis: removedApiUses(await renderedOn(store, clusters.map((c) => c.name)), target),
    outsideRange: upgradeRangeBlockers(releases, clusters.map((c) => c.name), target),
  };
}

export async function createClusterUpgrade(store: Store, o: UpgradeOptions & { clusters?: string[] | undefined; force?: boolean | undefined }): Promise<ClusterUpgrade> {
  const all = await allClusters(store);
  const unknown = (o.clusters ?? []).filter((n) => !all.some((c) => c.name === n));
  if (unknown.length) throw new InputError(`unknown clusters: ${unknown.join(', ')}`, [{ field: '/clusters', message: `unknown: ${unknown.join(', ')}` }]);
  const chosen = o.clusters ? all.filter((c) => o.clusters!.includes(c.name)) : all;
  const planned = planClusterUpgrade(chosen.map((c) => ({ name: c.name, provider: c.provider, version: clusterVersion(c) })), o);
  if ('error' in planned) throw new InputError(planned.error, [{ field: '/target', message: planned.error }]);
  const moving = planned.plan.waves.flat().map((s) => s.cluster);
  const removed = removedApiUses(await renderedOn(store, moving), o.target);
  if (removed.length > 0 && !o.force) {
    throw new ConflictError(`pre-flight: ${removed.length} rendered objects use APIs removed in ${o.target}, e.g. ${removed[0]!.tenant}/${removed[0]!.environment} ${removed[0]!.object} (${removed[0]!.apiVersion}, removed in ${removed[0]!.removedIn}; use ${removed[0]!.replacement})`);
  }
  // The releases running there must support the target too (their blueprints' product.kubernetes).
  const outside = upgradeRangeBlockers(await releasesOn(store, moving), moving, o.target);
  if (outside.length > 0 && !o.force) {
    const b = outside[0]!;
    throw new ConflictError(`pre-flight: ${outside.length} blueprint release${outside.length === 1 ? '' : 's'} on the plan's clusters do not support ${o.target}, e.g. ${b.release} on ${b.cluster} (${b.environments} environment${b.environments === 1 ? '' : 's'}) supports Kubernetes ${rangeText(b.kubernetes)}: roll out a release that supports it first`);
  }
  const progress = Object.fromEntries(moving.map((c) => [c, { state: 'pending' as const }]));
  return store.clusterUpgrades.create(planned.plan, progress);
}
