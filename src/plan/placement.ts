// Placement of an environment onto a cluster: a list of small named checks per candidate (first
// failing reason wins, like Pepr's filter: isolation, data residency, anti-affinity, availability,
// cordon, capacity), then the eligible clusters ranked by a documented score (docs/clusters.md
// "Placement"): dedicated match, region preference, then the tier's policy (spread: fewest
// environments; binpack: least headroom left; cost: cheapest estimated monthly cost). Every
// decision lists each rejected cluster with its reason and each eligible one with its score parts.
//
// Capacity is counted in what environments reserve (their ResourceQuotas' requests), against the
// cluster's observed allocatable: CPU and memory may be overcommitted (quotas are ceilings, not
// usage), GPUs never (a GPU is handed to one pod whole). A cluster whose capacity was never observed
// passes the capacity checks: refusing every environment before the first inventory pass would be worse.
import { isSchedulable } from '../domain/cluster-health.ts';
import { ENVIRONMENT_TYPES, TIERS, type Cluster, type EnvironmentType, type Tier } from '../domain/types.ts';
import { rangeReason, type KubeRange } from './kube-versions.ts';

/** What an environment reserves: its quota's requests. */
export interface Resources {
  cpuMillis: number;
  memoryBytes: number;
  gpus: number;
}

export const NO_RESOURCES: Readonly<Resources> = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };

export interface Overcommit {
  /** How far quota CPU may add up beyond allocatable CPU (2 = twice). */
  cpu: number;
  /** The same for memory; lower by default, since memory is not compressible. */
  memory: number;
}

export interface PlacementRequest {
  tenant: string;
  tier: Tier;
  region?: string | undefined;
  /** What the environment reserves; absent counts as nothing. */
  demand?: Partial<Resources>;
  /** Default: no overcommit. */
  overcommit?: Partial<Overcommit>;
  /** Hard constraint: the tenant's data-residency label; only clusters of that residency qualify. */
  residency?: string | undefined;
  /** Anti-affinity: clusters the environment must not land on (e.g. the one it is evacuated from). */
  avoid?: readonly string[];
  /**
   * Hard constraint: the Kubernetes minors the environment's blueprint release supports
   * (`product.kubernetes`), named by `release` (blueprint@version) in the reason. A cluster whose
   * version is not known yet passes, as unknown capacity does.
   */
  kubernetes?: { release: string; range: KubeRange } | undefined;
  /** The environment's type (prod, staging, dev): a per-type policy applies to it. */
  type?: EnvironmentType | undefined;
}

export const PLACEMENT_POLICIES = ['spread', 'binpack', 'cost'] as const;
export type PlacementPolicy = (typeof PLACEMENT_POLICIES)[number];

/**
 * The policy per tier (FLEETPLANE_PLACEMENT_POLICY=prod=spread,staging=binpack,dev=cost): keys are
 * environment types (prod, staging, dev) or tenant tiers (shared, dedicated, hybrid); an
 * environment's type wins over its tenant's tier, and `default` (or a bare policy) covers the rest.
 */
export interface PlacementPolicies {
  default: PlacementPolicy;
  byType?: Partial<Record<EnvironmentType, PlacementPolicy>>;
  byTier?: Partial<Record<Tier, PlacementPolicy>>;
}

/** One policy for everything (the single value), or one per tier. */
export type PlacementPolicySetting = PlacementPolicy | PlacementPolicies;

/** The policy a request is placed under and where it came from ("environment type prod", "tier shared", "default"). */
export function resolvePolicy(setting: PlacementPolicySetting, req: Pick<PlacementRequest, 'tier' | 'type'>): { policy: PlacementPolicy; from: string } {
  if (typeof setting === 'string') return { policy: setting, from: 'default' };
  const byType = req.type ? setting.byType?.[req.type] : undefined;
  if (byType) return { policy: byType, from: `environment type ${req.type}` };
  const byTier = setting.byTier?.[req.tier];
  if (byTier) return { policy: byTier, from: `tier ${req.tier}` };
  return { policy: setting.default, from: 'default' };
}

/**
 * Parses "cost" (one policy) or "prod=spread,staging=binpack,dev=cost[,default=binpack]" (per tier;
 * keys are environment types or tenant tiers; unnamed ones get `fallback`). The error names the bad part.
 */
export function parsePlacementPolicies(text: string, fallback: PlacementPolicy): { setting: PlacementPolicySetting } | { error: string } {
  const parts = text.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  const isPolicy = (v: string): v is PlacementPolicy => (PLACEMENT_POLICIES as readonly string[]).includes(v);
  const want = `one of ${PLACEMENT_POLICIES.join(', ')}`;
  if (parts.length === 1 && !parts[0]!.includes('=')) return isPolicy(parts[0]!) ? { setting: parts[0]! } : { error: `"${parts[0]}" is not ${want}` };
  const out: PlacementPolicies = { default: fallback };
  const seen = new Set<string>();
  for (const part of parts) {
    const m = /^([a-z]+)=([a-z]+)$/.exec(part);
    if (!m) return { error: `"${part}" is not key=policy (key: default, ${[...ENVIRONMENT_TYPES, ...TIERS].join(', ')}; policy: ${want})` };
    const [, key, policy] = m as unknown as [string, string, string];
    if (!isPolicy(policy)) return { error: `"${part}": ${policy} is not ${want}` };
    if (seen.has(key)) return { error: `"${key}" is named twice` };
    seen.add(key);
    if (key === 'default') out.default = policy;
    else if ((ENVIRONMENT_TYPES as readonly string[]).includes(key)) out.byType = { ...out.byType, [key]: policy };
    else if ((TIERS as readonly string[]).includes(key)) out.byTier = { ...out.byTier, [key]: policy };
    else return { error: `"${key}" is neither an environment type (${ENVIRONMENT_TYPES.join(', ')}) nor a tier (${TIERS.join(', ')})` };
  }
  if (parts.length === 0) return { error: `empty (want ${want}, or key=policy,…)` };
  return { setting: out };
}

/** The setting in words, for logs and the API ("spread", or "prod=spread, dev=cost, default spread"). */
export function policySettingText(setting: PlacementPolicySetting): string {
  if (typeof setting === 'string') return setting;
  const named = [...Object.entries(setting.byType ?? {}), ...Object.entries(setting.byTier ?? {})].map(([k, v]) => `${k}=${v}`);
  return [...named, `default ${setting.default}`].join(', ');
}

/** The label naming a tenant's required residency and a cluster's residency. */
export const RESIDENCY_LABEL = 'fleetplane.io/residency';
const HOURS_PER_MONTH = 730;

export interface ClusterLoad {
  cluster: Cluster;
  /** Environments already placed there. */
  environments: number;
  /** Already reserved there (the quotas of placed environments). */
  reserved: Resources;
}

type Check = (req: PlacementRequest, c: ClusterLoad) => string | null;

const cores = (millis: number) => Math.round((millis / 1000) * 10) / 10;
const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;

interface Overcommittable { what: string; unit: string; scale: (n: number) => number }
const CPU: Overcommittable = { what: 'CPU', unit: 'cores', scale: cores };
const MEMORY: Overcommittable = { what: 'memory', unit: 'GiB', scale: gib };

/** Refused when reserved + wanted exceeds capacity × overcommit; unknown capacity or no demand passes. */
function overcommitReason(r: Overcommittable, amounts: { reserved: number; want: number; cap: number | undefined }, overcommit: number | undefined): string | null {
  const { reserved, want, cap } = amounts;
  if (cap === undefined || cap <= 0 || want <= 0) return null;
  const limit = cap * (overcommit ?? 1);
  const total = reserved + want;
  return total > limit ? `not enough ${r.what} capacity (${r.scale(total)} of ${r.scale(limit)} ${r.unit} reserved with this environment)` : null;
}

const CAPACITY_CHECKS: ReadonlyArray<[string, Check]> = [
  ['cpu', (req, c) => overcommitReason(CPU, { reserved: c.reserved.cpuMillis, want: req.demand?.cpuMillis ?? 0, cap: c.cluster.capacity?.cpuMillis }, req.overcommit?.cpu)],
  ['memory', (req, c) => overcommitReason(MEMORY, { reserved: c.reserved.memoryBytes, want: req.demand?.memoryBytes ?? 0, cap: c.cluster.capacity?.memoryBytes }, req.overcommit?.memory)],
  ['gpus', (req, c) => {
    const want = req.demand?.gpus ?? 0;
    const cap = c.cluster.capacity;
    if (want <= 0 || cap === undefined) return null;
    if (cap.gpus <= 0) return `no GPU nodes (the environment reserves ${want} GPUs)`;
    const total = c.reserved.gpus + want;
    return total > cap.gpus ? `not enough GPUs (${total} of ${cap.gpus} reserved with this environment)` : null;
  }],
];

/** A cluster's residency: its label, else its region's first part (eu-west-1 -> eu). */
export function clusterResidency(c: Pick<Cluster, 'labels' | 'region'>): string {
  return c.labels[RESIDENCY_LABEL] ?? c.region.split('-')[0]!;
}

const CHECKS: ReadonlyArray<[string, Check]> = [
  ['role', (req, c) => roleReason(req, c.cluster.role)],
  ['residency', (req, c) => (req.residency && clusterResidency(c.cluster) !== req.residency
    ? `data residency: tenant requires ${req.residency}, cluster is ${clusterResidency(c.cluster)}` : null)],
  ['anti-affinity', (req, c) => (req.avoid?.includes(c.cluster.name) ? 'anti-affinity: excluded for this environment' : null)],
  ['available', (_req, c) => (isSchedulable(c.cluster.health)
    ? null : `cluster ${c.cluster.health!.state} since ${c.cluster.health!.since} (${c.cluster.health!.reason})`)],
  ['cordon', (_req, c) => (c.cluster.cordon ? `cordoned: ${c.cluster.cordon.reason}` : null)],
  ['kubernetes', (req, c) => (req.kubernetes ? rangeReason(clusterVersion(c.cluster), req.kubernetes.release, req.kubernetes.range) : null)],
  ...CAPACITY_CHECKS,
];

/** A cluster's Kubernetes version: the last heartbeat's, else the one recorded at registration. */
export function clusterVersion(c: Pick<Cluster, 'health' | 'kubernetesVersion'>): string | null {
  return c.health?.version ?? c.kubernetesVersion ?? null;
}

/** The tenant a cluster role `dedicated:<slug>` reserves the cluster for; null for a shared cluster. */
export function dedicatedTenant(role: string): string | null {
  return role.startsWith('dedicated:') ? role.slice('dedicated:'.length) : null;
}

function roleReason(req: Pick<PlacementRequest, 'tenant' | 'tier'>, role: string, explicit = false): string | null {
  const dedicatedTo = dedicatedTenant(role);
  if (dedicatedTo !== null && dedicatedTo !== req.tenant) return 'dedicated to another tenant';
  if (req.tier === 'dedicated' && dedicatedTo === null && !explicit) return 'tier dedicated needs a dedicated cluster';
  return null;
}

export type PlacementDecision = { cluster: string } | { cluster: null; reasons: Record<string, string> };

/** The spread policy's decision in the short form (the engine's original placement). */
export function placeEnvironment(req: PlacementRequest, candidates: readonly ClusterLoad[]): PlacementDecision {
  const plan = planPlacement(req, candidates, 'spread');
  if (plan.cluster !== null) return { cluster: plan.cluster };
  return { cluster: null, reasons: Object.fromEntries(plan.rejected.map((r) => [r.cluster, r.reason])) };
}

export interface ScoreParts {
  /** 0 when the cluster is dedicated to this tenant, else 1. */
  dedicated: number;
  /** 0 in the preferred region (or none asked), else 1. */
  region: number;
  /** Environments already placed there (spread ranks by it). */
  environments: number;
  /** Share of the scarcer of CPU and memory left free after this environment (binpack ranks by least); null when capacity is unknown. */
  headroom: number | null;
  /** Estimated monthly cost of this environment there (cost ranks by it); null when the cluster has no price. */
  monthlyCost: number | null;
}

export interface ScoredCluster { cluster: string; rank: number; parts: ScoreParts }

export interface PlacementPlan {
  cluster: string | null;
  policy: PlacementPolicy;
  /** Why this policy: "default", "tier shared" or "environment type prod" (per-tier settings). */
  policyFrom: string;
  /** Eligible clusters best first, each with its score parts. */
  eligible: ScoredCluster[];
  /** Each rejected cluster, with the check that refused it and why. */
  rejected: Array<{ cluster: string; check: string; reason: string }>;
  /** Why the winner won, in words. */
  explanation: string;
}

/** The full, explained decision under a policy (or the request's tier's policy); pure (same inputs, same plan). */
export function planPlacement(req: PlacementRequest, candidates: readonly ClusterLoad[], setting: PlacementPolicySetting): PlacementPlan {
  const { policy, from } = resolvePolicy(setting, req);
  const rejected: PlacementPlan['rejected'] = [];
  const eligible: Array<{ load: ClusterLoad; parts: ScoreParts }> = [];
  for (const c of candidates) {
    const failed = firstRefusal(req, c);
    if (failed) rejected.push({ cluster: c.cluster.name, ...failed });
    else eligible.push({ load: c, parts: scoreParts(req, c) });
  }
  // A dedicated tenant without its own cluster falls back to shared ones rather than not running.
  if (eligible.length === 0 && req.tier === 'dedicated') {
    // Under the dedicated tier's own policy (resolved above), not hybrid's.
    const fallback = planPlacement({ ...req, tier: 'hybrid' }, candidates, policy);
    return { ...fallback, policyFrom: from, explanation: `no cluster dedicated to ${req.tenant}; ${fallback.explanation}` };
  }
  eligible.sort((a, b) => compareParts(policy, a.parts, b.parts) || a.load.cluster.name.localeCompare(b.load.cluster.name));
  const scored = eligible.map((e, i) => ({ cluster: e.load.cluster.name, rank: i + 1, parts: e.parts }));
  const best = scored[0];
  return {
    cluster: best?.cluster ?? null, policy, policyFrom: from, eligible: scored, rejected,
    explanation: best ? `${explain(policy, best, scored.length)} (policy ${policy}${from === 'default' ? '' : ` for ${from}`})` : `no eligible cluster (${rejected.length} rejected)`,
  };
}

function firstRefusal(req: PlacementRequest, c: ClusterLoad): { check: string; reason: string } | null {
  for (const [check, fn] of CHECKS) {
    const reason = fn(req, c);
    if (reason !== null) return { check, reason };
  }
  return null;
}

function scoreParts(req: PlacementRequest, c: ClusterLoad): ScoreParts {
  const want = { ...NO_RESOURCES, ...req.demand };
  const cap = c.cluster.capacity;
  let headroom: number | null = null;
  if (cap && cap.cpuMillis > 0 && cap.memoryBytes > 0) {
    const cpuLimit = cap.cpuMillis * (req.overcommit?.cpu ?? 1);
    const memLimit = cap.memoryBytes * (req.overcommit?.memory ?? 1);
    const free = Math.min((cpuLimit - c.reserved.cpuMillis - want.cpuMillis) / cpuLimit, (memLimit - c.reserved.memoryBytes - want.memoryBytes) / memLimit);
    headroom = Math.round(free * 1000) / 1000;
  }
  return {
    dedicated: c.cluster.role === `dedicated:${req.tenant}` ? 0 : 1,
    region: req.region && c.cluster.region !== req.region ? 1 : 0,
    environments: c.environments,
    headroom,
    monthlyCost: monthlyCost(c.cluster, want),
  };
}

/** CPU-hours, GiB-hours and GPU-hours of what the environment reserves, priced by the cluster, for a 730-hour month. */
export function monthlyCost(c: Pick<Cluster, 'pricePerCpuHour' | 'pricePerGbHour' | 'pricePerGpuHour'>, r: Resources): number | null {
  if (c.pricePerCpuHour === undefined && c.pricePerGbHour === undefined && c.pricePerGpuHour === undefined) return null;
  const hourly = (r.cpuMillis / 1000) * (c.pricePerCpuHour ?? 0) + (r.memoryBytes / 2 ** 30) * (c.pricePerGbHour ?? 0) + r.gpus * (c.pricePerGpuHour ?? 0);
  return Math.round(hourly * HOURS_PER_MONTH * 100) / 100;
}

const nullLast = (a: number | null, b: number | null) => (a ?? Infinity) - (b ?? Infinity);

function compareParts(policy: PlacementPolicy, a: ScoreParts, b: ScoreParts): number {
  const fixed = a.dedicated - b.dedicated || a.region - b.region;
  if (fixed) return fixed;
  if (policy === 'cost') return nullLast(a.monthlyCost, b.monthlyCost) || a.environments - b.environments;
  // binpack: the least headroom left that still fits (unknown capacity last).
  if (policy === 'binpack') return nullLast(a.headroom, b.headroom) || b.environments - a.environments;
  return a.environments - b.environments;
}

function explain(policy: PlacementPolicy, best: ScoredCluster, n: number): string {
  const p = best.parts;
  const by = policy === 'cost' ? `cheapest (${p.monthlyCost ?? 'unpriced'}/month)`
    : policy === 'binpack' ? `fullest that fits (headroom ${p.headroom ?? 'unknown'})` : `fewest environments (${p.environments})`;
  const pre = [p.dedicated === 0 ? 'dedicated to the tenant' : '', p.region === 0 ? '' : 'outside the preferred region'].filter(Boolean).join(', ');
  return `${best.cluster}: ${by} of ${n} eligible${pre ? `; ${pre}` : ''}`;
}

export interface ExplicitPlacement {
  /** Why the cluster must not take the environment (isolation), or null. */
  refusal: string | null;
  /** Capacity the operator's choice overrides: reported, not enforced (like a pod's nodeName). */
  warnings: string[];
}

/** Checks an operator's explicit choice of cluster: isolation is enforced, capacity only reported. */
export function checkExplicitPlacement(req: PlacementRequest, load: ClusterLoad): ExplicitPlacement {
  return {
    // Isolation and the release's Kubernetes range hold even for an operator's choice.
    refusal: roleReason(req, load.cluster.role, true)
      ?? (req.kubernetes ? rangeReason(clusterVersion(load.cluster), req.kubernetes.release, req.kubernetes.range) : null),
    warnings: CAPACITY_CHECKS.map(([, check]) => check(req, load)).filter((r): r is string => r !== null),
  };
}

export function addResources(a: Resources, b: Partial<Resources>): Resources {
  return { cpuMillis: a.cpuMillis + (b.cpuMillis ?? 0), memoryBytes: a.memoryBytes + (b.memoryBytes ?? 0), gpus: a.gpus + (b.gpus ?? 0) };
}
