// place: choose an environment's cluster (plan/placement.ts) by the tenant's tier, cluster roles,
// capacity and current load, or check the operator's explicit choice.
//
// Capacity: what the environments already placed on a cluster reserve (their ResourceQuota's
// requests: the blueprint release's quota for their type, scaled by their tenant's tier exactly as
// the renderer scales it), plus this one's, against the cluster's allocatable (observed by the
// cluster inventory) times the overcommit (FLEETPLANE_CPU_OVERCOMMIT, FLEETPLANE_MEMORY_OVERCOMMIT;
// GPUs are never overcommitted). Counted from the store, not the cluster, so a burst of placements
// sees its own earlier choices before any of them reach the cluster.
//
// An explicit cluster is kept: isolation (a cluster dedicated to another tenant) is enforced,
// capacity only reported in the step's output, the way a pod's nodeName bypasses the scheduler.
import { cpuMillis, parseQuantity } from '../domain/quantity.ts';
import type { BlueprintSpec, Quota } from '../domain/blueprint.ts';
import type { Environment, Tier } from '../domain/types.ts';
import type { KubeRange } from '../plan/kube-versions.ts';
import { NO_RESOURCES, RESIDENCY_LABEL, addResources, checkExplicitPlacement, planPlacement, type ClusterLoad, type PlacementRequest, type Resources } from '../plan/placement.ts';
import { TIER_QUOTA_FACTOR } from '../render/namespace.ts';
import { PermanentError } from '../domain/errors.ts';
import type { Store } from '../domain/ports/store.ts';
import { loadEnvironment, type StepEnv } from './context.ts';

const AUTO = new Set(['', 'auto', '*']);

export async function placeStep(s: StepEnv): Promise<Record<string, unknown>> {
  const env = await loadEnvironment(s);
  const store = s.deps.store;
  const tenant = await store.tenants.get(env.tenant);
  if (!tenant) throw new PermanentError(`tenant ${env.tenant} does not exist`);
  const demandOf = demandReader(store);
  const tiers = await tenantTiers(store);
  tiers.set(tenant.slug, tenant.tier);
  const loads = await clusterLoads(store, demandOf, tiers, env);
  const req: PlacementRequest = {
    tenant: tenant.slug, tier: tenant.tier, type: env.type, region: tenant.region, residency: tenant.labels[RESIDENCY_LABEL],
    demand: await demandOf(env, tenant.tier),
    overcommit: { cpu: s.deps.config.cpuOvercommit, memory: s.deps.config.memoryOvercommit },
    kubernetes: await kubernetesRangeReader(store)(env),
  };

  if (!AUTO.has(env.placement.cluster)) {
    const load = loads.find((l) => l.cluster.name === env.placement.cluster);
    if (load) {
      const { refusal, warnings } = checkExplicitPlacement(req, load);
      if (refusal) throw new PermanentError(`cluster ${load.cluster.name} cannot take ${env.tenant}/${env.name}: ${refusal}`);
      if (warnings.length > 0) s.log.warn({ cluster: load.cluster.name, warnings }, 'explicit placement over capacity; kept as the operator asked');
      return { cluster: load.cluster.name, chosen: false, ...(warnings.length > 0 ? { warnings } : {}) };
    }
    // The cluster was deregistered since the environment was created: choose another.
  }
  const plan = planPlacement(req, loads, s.deps.config.placementPolicy);
  if (plan.cluster === null) {
    const reasons = Object.fromEntries(plan.rejected.map((r) => [r.cluster, r.reason]));
    // Some cluster is only down (Suspect/Unavailable): retry with backoff, it may come back.
    if (plan.rejected.some((r) => r.check === 'available')) throw new Error(`no cluster can take ${env.tenant}/${env.name} now (retrying): ${JSON.stringify(reasons)}`);
    throw new PermanentError(`no cluster can take ${env.tenant}/${env.name}: ${JSON.stringify(reasons)}`);
  }
  await s.claimed.setEnvironmentStatus(env.tenant, env.name, { cluster: plan.cluster });
  // The explained decision stays on the operation (GET /v1/operations/{id}).
  return { cluster: plan.cluster, chosen: true, policy: plan.policy, policyFrom: plan.policyFrom, explanation: plan.explanation, eligible: plan.eligible, rejected: plan.rejected };
}

export type KubernetesRangeReader = (env: Pick<Environment, 'blueprint' | 'version'>) => Promise<{ release: string; range: KubeRange } | undefined>;

/** The Kubernetes range an environment's blueprint release declares (`product.kubernetes`), for placement; cached per release. */
export function kubernetesRangeReader(store: Pick<Store, 'blueprints'>): KubernetesRangeReader {
  const cache = new Map<string, Promise<KubeRange | undefined>>();
  return async (env) => {
    const release = `${env.blueprint}@${env.version}`;
    let hit = cache.get(release);
    if (!hit) {
      hit = store.blueprints.get(env.blueprint, env.version).then((rel) => releaseKubernetesRange(rel?.spec));
      cache.set(release, hit);
    }
    const range = await hit;
    return range ? { release, range } : undefined;
  };
}

/** A stored release's spec: the Blueprint's `spec` (older records hold the whole document). */
function releaseSpec(doc: unknown): Partial<BlueprintSpec> {
  const d = (doc ?? {}) as Partial<BlueprintSpec> & { spec?: Partial<BlueprintSpec> };
  return d.environmentTypes || d.product ? d : d.spec ?? {};
}

/** `product.kubernetes` of a stored release (validated when it was published). */
export function releaseKubernetesRange(doc: unknown): KubeRange | undefined {
  return releaseSpec(doc).product?.kubernetes;
}

export type DemandReader = (env: Pick<Environment, 'blueprint' | 'version' | 'type'>, tier: Tier) => Promise<Resources>;

/** What an environment's ResourceQuota will request; nothing when its release or type is unknown. Cached per release and type. */
export function demandReader(store: Pick<Store, 'blueprints'>): DemandReader {
  const cache = new Map<string, Promise<Quota | undefined>>();
  return async (env, tier) => {
    const key = `${env.blueprint}@${env.version}|${env.type}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = store.blueprints.get(env.blueprint, env.version).then((rel) => releaseSpec(rel?.spec).environmentTypes?.[env.type]?.quota);
      cache.set(key, hit);
    }
    return quotaRequests(await hit, tier);
  };
}

/** The requests of the quota the renderer writes (render/namespace.ts scales it by tier). */
export function quotaRequests(q: Partial<Quota> | undefined, tier: Tier): Resources {
  if (!q) return { ...NO_RESOURCES };
  const f = TIER_QUOTA_FACTOR[tier] ?? 1;
  const safe = (parse: () => number) => {
    try {
      return parse();
    } catch {
      return 0;
    }
  };
  return {
    cpuMillis: q.cpu === undefined ? 0 : safe(() => cpuMillis(q.cpu!)) * f,
    memoryBytes: q.memory === undefined ? 0 : safe(() => parseQuantity(q.memory!)) * f,
    gpus: (q.gpus ?? 0) * f,
  };
}

export async function tenantTiers(store: Pick<Store, 'tenants'>): Promise<Map<string, Tier>> {
  const tiers = new Map<string, Tier>();
  let cursor: string | undefined;
  do {
    const page = await store.tenants.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    for (const t of page.items) tiers.set(t.slug, t.tier);
    cursor = page.next;
  } while (cursor);
  return tiers;
}

/** Every registered cluster with what the other live environments placed there reserve. */
export async function clusterLoads(store: Pick<Store, 'clusters' | 'queue'>, demandOf: DemandReader, tiers: Map<string, Tier>, self: Pick<Environment, 'tenant' | 'name'>): Promise<ClusterLoad[]> {
  const placed = await placedByCluster(store, demandOf, tiers, self);
  const loads: ClusterLoad[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const c of page.items) loads.push({ cluster: c, environments: 0, reserved: { ...NO_RESOURCES }, ...placed.get(c.name) });
    cursor = page.next;
  } while (cursor);
  return loads;
}

async function placedByCluster(store: Pick<Store, 'queue'>, demandOf: DemandReader, tiers: Map<string, Tier>, self: Pick<Environment, 'tenant' | 'name'>) {
  const out = new Map<string, { environments: number; reserved: Resources }>();
  let after: Pick<Environment, 'tenant' | 'name'> | null = null;
  for (;;) {
    const page = await store.queue.listEnvironments(after, 500);
    for (const e of page) {
      // Itself: a step re-run after a crash finds its own earlier choice already recorded.
      if (e.health === 'Deleted' || (e.tenant === self.tenant && e.name === self.name)) continue;
      const prior = out.get(e.placement.cluster) ?? { environments: 0, reserved: NO_RESOURCES };
      out.set(e.placement.cluster, { environments: prior.environments + 1, reserved: addResources(prior.reserved, await demandOf(e, tiers.get(e.tenant) ?? 'shared')) });
    }
    if (page.length < 500) break;
    after = page[page.length - 1]!;
  }
  return out;
}
