// Placement of an environment onto a cluster: a list of small named checks per candidate (first
// failing reason wins, like Pepr's filter), then the least-loaded eligible cluster.
import type { Cluster, Tier } from '../domain/types.ts';

export interface PlacementRequest {
  tenant: string;
  tier: Tier;
  region?: string | undefined;
  /** Requested cluster (explicit placement wins when eligible). */
  cluster?: string | undefined;
  /** Rough size of the environment, in CPU millis (its quota's CPU). */
  cpuMillis?: number;
  /** How far quotas may add up beyond allocatable CPU (2 = twice); default 1. Quotas are ceilings, so clusters are overcommitted on purpose. */
  cpuOvercommit?: number;
}

export interface ClusterLoad {
  cluster: Cluster;
  /** Environments already placed there. */
  environments: number;
  /** CPU millis already reserved there (the quotas of placed environments). */
  cpuMillis: number;
}

type Check = (req: PlacementRequest, c: ClusterLoad) => string | null;

const CHECKS: ReadonlyArray<[string, Check]> = [
  ['explicit', (req, c) => (req.cluster && req.cluster !== c.cluster.name ? `not the requested cluster ${req.cluster}` : null)],
  ['role', (req, c) => roleReason(req, c.cluster.role)],
  ['capacity', (req, c) => {
    const cap = c.cluster.capacity?.cpuMillis;
    if (cap === undefined || cap <= 0) return null;
    const limit = cap * (req.cpuOvercommit ?? 1);
    return c.cpuMillis + (req.cpuMillis ?? 0) > limit ? `not enough CPU capacity (${Math.round((c.cpuMillis + (req.cpuMillis ?? 0)) / 1000)} of ${Math.round(limit / 1000)} cores reserved with this environment)` : null;
  }],
];

function roleReason(req: PlacementRequest, role: string): string | null {
  const dedicatedTo = role.startsWith('dedicated:') ? role.slice('dedicated:'.length) : null;
  if (dedicatedTo !== null && dedicatedTo !== req.tenant) return `dedicated to tenant ${dedicatedTo}`;
  if (req.tier === 'dedicated' && dedicatedTo === null && !req.cluster) return 'tier dedicated needs a dedicated cluster';
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

/** Lower is better: dedicated match first, region match, then fewest environments. */
function score(req: PlacementRequest, c: ClusterLoad): number {
  const dedicated = c.cluster.role === `dedicated:${req.tenant}` ? 0 : 1;
  const region = req.region && c.cluster.region !== req.region ? 1 : 0;
  return dedicated * 1_000_000 + region * 100_000 + c.environments;
}
