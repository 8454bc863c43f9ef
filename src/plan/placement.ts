// Placement of an environment onto a cluster: a list of small named checks per candidate (first
// failing reason wins, like Pepr's filter), then the least-loaded eligible cluster.
//
// Capacity is counted in what environments reserve (their ResourceQuotas' requests), against the
// cluster's observed allocatable: CPU and memory may be overcommitted (quotas are ceilings, not
// usage), GPUs never (a GPU is handed to one pod whole). A cluster whose capacity was never observed
// passes the capacity checks: refusing every environment before the first inventory pass would be worse.
import type { Cluster, Tier } from '../domain/types.ts';

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
}

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

const CHECKS: ReadonlyArray<[string, Check]> = [
  ['role', (req, c) => roleReason(req, c.cluster.role)],
  ...CAPACITY_CHECKS,
];

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

export function placeEnvironment(req: PlacementRequest, candidates: readonly ClusterLoad[]): PlacementDecision {
  const reasons: Record<string, string> = {};
  const eligible: ClusterLoad[] = [];
  for (const c of candidates) {
    const failed = CHECKS.map(([, check]) => check(req, c)).find((r) => r !== null);
    if (failed) reasons[c.cluster.name] = failed;
    else eligible.push(c);
  }
  if (eligible.length === 0) {
    // A dedicated tenant without its own cluster falls back to shared ones rather than not running.
    if (req.tier === 'dedicated') return placeEnvironment({ ...req, tier: 'hybrid' }, candidates);
    return { cluster: null, reasons };
  }
  eligible.sort((a, b) => score(req, a) - score(req, b) || a.cluster.name.localeCompare(b.cluster.name));
  return { cluster: eligible[0]!.cluster.name };
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
    refusal: roleReason(req, load.cluster.role, true),
    warnings: CAPACITY_CHECKS.map(([, check]) => check(req, load)).filter((r): r is string => r !== null),
  };
}

/** Lower is better: dedicated match first, region match, then fewest environments. */
function score(req: PlacementRequest, c: ClusterLoad): number {
  const dedicated = c.cluster.role === `dedicated:${req.tenant}` ? 0 : 1;
  const region = req.region && c.cluster.region !== req.region ? 1 : 0;
  return dedicated * 1_000_000 + region * 100_000 + c.environments;
}

export function addResources(a: Resources, b: Partial<Resources>): Resources {
  return { cpuMillis: a.cpuMillis + (b.cpuMillis ?? 0), memoryBytes: a.memoryBytes + (b.memoryBytes ?? 0), gpus: a.gpus + (b.gpus ?? 0) };
}
