// Pure wave planning for fleet rollouts: which environments a rollout touches, in which order.
// Canaries first (internal tenants, dev/staging environments, low-risk tenants), then waves by
// cumulative percentage of the rest, lowest risk first. Deterministic: same input, same plan.
// Maintenance windows are checked per target at launch time (windowOpen), with the clock passed in.
import type { PlannedTarget, RolloutSelector, RolloutStrategy } from '../domain/rollouts.ts';
import type { Channel, EnvironmentType, MaintenanceWindow, Tier } from '../domain/types.ts';

export interface RolloutCandidate {
  tenant: string;
  environment: string;
  envType: EnvironmentType;
  cluster: string;
  version: string;
  tenantLabels: Record<string, string>;
  tier: Tier;
  maintenanceWindow?: MaintenanceWindow;
  /** self-managed environments get their bundle published by a rollout, never delivered (plan/workflows.ts skippedFor). */
  channel?: Channel;
  /** The Kubernetes version of the environment's cluster (last heartbeat), when known. */
  clusterVersion?: string | null;
}

export interface PlannedWave {
  index: number;
  name: string;
  targets: PlannedTarget[];
}

export interface WavePlan {
  waves: PlannedWave[];
  skipped: Array<PlannedTarget & { reason: string }>;
}

export const DEFAULT_STRATEGY: RolloutStrategy = {
  canary: { count: 1 },
  waves: [25, 50, 100],
  maxParallel: 5,
  maxFailures: 0,
  gates: { health: true, bakeSeconds: 0 },
  respectMaintenanceWindows: true,
};

export function matchesSelector(c: RolloutCandidate, s: RolloutSelector): boolean {
  if (s.tenants?.length && !s.tenants.includes(c.tenant)) return false;
  if (s.envTypes?.length && !s.envTypes.includes(c.envType)) return false;
  if (s.clusters?.length && !s.clusters.includes(c.cluster)) return false;
  return Object.entries(s.labels ?? {}).every(([k, v]) => c.tenantLabels[k] === v);
}

const ENV_RISK: Record<EnvironmentType, number> = { dev: 0, staging: 1, prod: 3 };
const TIER_RISK: Record<Tier, number> = { shared: 0, hybrid: 1, dedicated: 2 };

/** Lower is safer to go first. Tenants opt in with labels `internal: "true"` or `risk: low|high`. */
export function riskScore(c: RolloutCandidate): number {
  const internal = c.tenantLabels.internal === 'true' ? -10 : 0;
  const label = c.tenantLabels.risk === 'low' ? -2 : c.tenantLabels.risk === 'high' ? 5 : 0;
  return internal + label + ENV_RISK[c.envType] + TIER_RISK[c.tier];
}

function byRisk(a: RolloutCandidate, b: RolloutCandidate): number {
  return riskScore(a) - riskScore(b) || cmp(a.tenant, b.tenant) || cmp(a.environment, b.environment);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function canaryCount(total: number, canary: RolloutStrategy['canary']): number {
  if (total === 0) return 0;
  const n = canary.count ?? (canary.percent !== undefined ? Math.ceil((total * canary.percent) / 100) : 0);
  return Math.min(Math.max(n, 0), total);
}

/** Cumulative cut points over `n` items, e.g. n=10, [25,50,100] -> [3,5,10]; empty waves dropped. */
export function cutPoints(n: number, percents: number[]): number[] {
  const cuts = [...percents, 100].map((p) => Math.min(n, Math.ceil((n * Math.min(Math.max(p, 0), 100)) / 100)));
  const out: number[] = [];
  for (const c of cuts) if (c > (out.at(-1) ?? 0)) out.push(c);
  return out;
}

export function planWaves(candidates: RolloutCandidate[], selector: RolloutSelector, strategy: RolloutStrategy, version: string): WavePlan {
  const skipped: WavePlan['skipped'] = [];
  const chosen: RolloutCandidate[] = [];
  for (const c of candidates) {
    if (!matchesSelector(c, selector)) continue;
    if (c.version === version) skipped.push({ tenant: c.tenant, environment: c.environment, reason: 'AlreadyAtVersion' });
    else chosen.push(c);
  }
  chosen.sort(byRisk);
  const k = canaryCount(chosen.length, strategy.canary);
  const waves: PlannedWave[] = [];
  const ref = (c: RolloutCandidate): PlannedTarget => ({ tenant: c.tenant, environment: c.environment });
  if (k > 0) waves.push({ index: 0, name: 'canary', targets: chosen.slice(0, k).map(ref) });
  const rest = chosen.slice(k);
  let from = 0;
  for (const to of cutPoints(rest.length, strategy.waves)) {
    waves.push({ index: waves.length, name: `wave-${waves.length + (k > 0 ? 0 : 1)}`, targets: rest.slice(from, to).map(ref) });
    from = to;
  }
  skipped.sort((a, b) => cmp(a.tenant, b.tenant) || cmp(a.environment, b.environment));
  return { waves, skipped };
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** True when `now` falls inside the window (UTC; a window may run past midnight). */
export function windowOpen(w: MaintenanceWindow | undefined, now: Date): boolean {
  if (!w) return true;
  const [h, m] = w.start.split(':').map(Number);
  const startMin = (h ?? 0) * 60 + (m ?? 0);
  const nowMin = now.getUTCHours() * 60 + now.getUTCMinutes();
  const days = w.days.map((d) => d.toLowerCase().slice(0, 3));
  // Check the window that started today and the one that started yesterday (crossing midnight).
  for (const back of [0, 1]) {
    const day = DAYS[(now.getUTCDay() + 7 - back) % 7]!;
    if (days.length > 0 && !days.includes(day)) continue;
    const offset = nowMin + back * 1440 - startMin;
    if (offset >= 0 && offset < w.durationMinutes) return true;
  }
  return false;
}
