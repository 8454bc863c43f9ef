// fleetplane fleet health: the fleet at a glance (GET /v1/fleet/health).
import type { Command } from 'commander';
import { ctx, intFlag } from '../context.ts';
import { table } from '../output.ts';
import { io } from '../io.ts';

type Counts = Partial<Record<string, number>>;

export interface FleetHealthView {
  scope: { kind: string; tenant?: string };
  generatedAt: string;
  environments: number;
  byHealth: Counts;
  byVersion: Array<{ blueprint: string; version: string; environments: number; byHealth: Counts }>;
  byCluster: Array<{ cluster: string; environments: number; byHealth: Counts; reachable: boolean | null; error?: string }>;
  worstOffenders: Array<{ tenant: string; environment: string; cluster: string; health: string; version: string; unhealthySeconds: number; reason: string; message: string }>;
  errors: Array<{ cluster: string; message: string }>;
}

const ORDER = ['Ready', 'Published', 'Progressing', 'Degraded', 'Failed', 'Unknown', 'Deleting'];

/** "Ready=12 Degraded=1": non-zero counts in a stable order. */
export function healthCounts(c: Counts): string {
  const keys = [...ORDER, ...Object.keys(c).filter((k) => !ORDER.includes(k)).sort()];
  return keys.filter((k) => (c[k] ?? 0) > 0).map((k) => `${k}=${c[k]}`).join(' ') || '-';
}

function duration(s: number): string {
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** Sections: totals, by version, by cluster, worst offenders, cluster errors. */
export function describeFleetHealth(h: FleetHealthView): string {
  const scope = h.scope.kind === 'tenant' ? `tenant ${h.scope.tenant}` : 'fleet';
  const out = [`${scope}: ${h.environments} environments   ${healthCounts(h.byHealth)}`, ''];
  out.push(h.byVersion.length ? table(h.byVersion, [['RELEASE', (v) => `${v.blueprint}@${v.version}`], ['ENVIRONMENTS', (v) => v.environments], ['HEALTH', (v) => healthCounts(v.byHealth)]]) : 'No environments.');
  if (h.byCluster.length) {
    out.push('', table(h.byCluster, [
      ['CLUSTER', (c) => c.cluster], ['REACHABLE', (c) => (c.reachable === null ? 'not probed' : c.reachable ? 'yes' : 'NO')],
      ['ENVIRONMENTS', (c) => c.environments], ['HEALTH', (c) => healthCounts(c.byHealth)],
    ]));
  }
  if (h.worstOffenders.length) {
    out.push('', 'Worst offenders:', table(h.worstOffenders, [
      ['ENVIRONMENT', (o) => `${o.tenant}/${o.environment}`], ['CLUSTER', (o) => o.cluster], ['HEALTH', (o) => o.health], ['VERSION', (o) => o.version],
      ['FOR', (o) => duration(o.unhealthySeconds)], ['REASON', (o) => `${o.reason}${o.message ? `: ${o.message.slice(0, 100)}` : ''}`],
    ]));
  }
  for (const e of h.errors) out.push(`error: cluster ${e.cluster}: ${e.message}`);
  return out.join('\n');
}

export default function register(program: Command): void {
  const fleet = program.command('fleet').description('the fleet as a whole');
  fleet.command('health').description('counts by health, release and cluster; worst offenders; unreachable clusters')
    .option('--no-probe', 'do not probe the cluster API servers').option('--limit <n>', 'worst offenders shown (1-100)', intFlag('--limit'))
    .action(async (o: { probe: boolean; limit?: number }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.get<FleetHealthView>('/v1/fleet/health', { probe: o.probe ? undefined : 'false', limit: o.limit });
      if (c.format === 'table') io().out(`${describeFleetHealth(body)}\n`);
      else c.print(body, [body], []);
    });
}
