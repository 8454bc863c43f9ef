// Fleet health summary: counts by health, by blueprint version and by cluster, the worst offenders
// (environments Degraded or Failed for longest, with the reason), and each cluster's probe error
// next to the results: one unreachable cluster never hides the rest (partial failure is normal).
// Pure: environments, probe results and the clock come in.
import type { Environment, Health } from '../domain/types.ts';

export interface ClusterProbe {
  cluster: string;
  ok: boolean;
  /** Short reason when !ok. */
  error?: string;
}

export type HealthCounts = Partial<Record<Health, number>>;

export interface Offender {
  tenant: string;
  environment: string;
  cluster: string;
  health: Health;
  blueprint: string;
  version: string;
  /** When the environment became unhealthy (Degraded condition's lastTransitionTime, else updatedAt). */
  since: string;
  unhealthySeconds: number;
  reason: string;
  message: string;
}

export interface ClusterSummary {
  cluster: string;
  environments: number;
  byHealth: HealthCounts;
  /** null when not probed. */
  reachable: boolean | null;
  error?: string;
}

export interface FleetHealth {
  scope: { kind: 'fleet' } | { kind: 'tenant'; tenant: string };
  generatedAt: string;
  environments: number;
  byHealth: HealthCounts;
  byVersion: Array<{ blueprint: string; version: string; environments: number; byHealth: HealthCounts }>;
  byCluster: ClusterSummary[];
  worstOffenders: Offender[];
  errors: Array<{ cluster: string; message: string }>;
}

export interface FleetHealthInput {
  scope: FleetHealth['scope'];
  environments: Environment[];
  /** Clusters to report even with no environments (admin scope: every registered cluster). */
  clusters: string[];
  probes: ClusterProbe[];
  now: Date;
  limit: number;
}

const UNHEALTHY = new Set<Health>(['Degraded', 'Failed']);

function bump(counts: HealthCounts, h: Health): void {
  counts[h] = (counts[h] ?? 0) + 1;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function offender(env: Environment, now: Date): Offender {
  const degraded = env.conditions.find((c) => c.type === 'Degraded' && c.status === 'True');
  const notReady = env.conditions.find((c) => c.type === 'Ready' && c.status === 'False');
  const why = degraded ?? notReady;
  const since = why?.lastTransitionTime ?? env.updatedAt;
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  return {
    tenant: env.tenant, environment: env.name, cluster: env.placement.cluster, health: env.health,
    blueprint: env.blueprint, version: env.version, since,
    unhealthySeconds: Number.isFinite(seconds) ? seconds : 0,
    reason: why?.reason ?? 'Unknown', message: why?.message ?? '',
  };
}

function versions(envs: Environment[]): FleetHealth['byVersion'] {
  const map = new Map<string, FleetHealth['byVersion'][number]>();
  for (const e of envs) {
    const key = `${e.blueprint}\u0000${e.version}`;
    const row = map.get(key) ?? { blueprint: e.blueprint, version: e.version, environments: 0, byHealth: {} };
    row.environments += 1;
    bump(row.byHealth, e.health);
    map.set(key, row);
  }
  return [...map.values()].sort((a, b) => byString(a.blueprint, b.blueprint) || byString(a.version, b.version));
}

function clusters(input: FleetHealthInput): ClusterSummary[] {
  const map = new Map<string, ClusterSummary>();
  const row = (name: string) => {
    const r = map.get(name) ?? { cluster: name, environments: 0, byHealth: {}, reachable: null };
    map.set(name, r);
    return r;
  };
  for (const name of input.clusters) row(name);
  for (const e of input.environments) {
    const r = row(e.placement.cluster);
    r.environments += 1;
    bump(r.byHealth, e.health);
  }
  for (const p of input.probes) {
    if (!map.has(p.cluster)) continue;
    const r = row(p.cluster);
    r.reachable = p.ok;
    if (!p.ok) r.error = p.error ?? 'unreachable';
  }
  return [...map.values()].sort((a, b) => byString(a.cluster, b.cluster));
}

export function summarizeFleetHealth(input: FleetHealthInput): FleetHealth {
  const byHealth: HealthCounts = {};
  for (const e of input.environments) bump(byHealth, e.health);
  const worst = input.environments
    .filter((e) => UNHEALTHY.has(e.health))
    .map((e) => offender(e, input.now))
    .sort((a, b) => b.unhealthySeconds - a.unhealthySeconds || byString(`${a.tenant}/${a.environment}`, `${b.tenant}/${b.environment}`))
    .slice(0, input.limit);
  const byCluster = clusters(input);
  return {
    scope: input.scope,
    generatedAt: input.now.toISOString(),
    environments: input.environments.length,
    byHealth,
    byVersion: versions(input.environments),
    byCluster,
    worstOffenders: worst,
    errors: byCluster.filter((c) => c.reachable === false).map((c) => ({ cluster: c.cluster, message: c.error ?? 'unreachable' })),
  };
}
