// fleetplane cordon|uncordon|evacuation-plan|evacuate|evacuations|failover|placement preview|versions|cluster-upgrades (docs/clusters.md)
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { ctx, enc } from '../context.ts';
import type { ApiClient } from '../client.ts';
import { io } from '../io.ts';
import { table, type Column } from '../output.ts';
import { bar } from './rollouts.ts';

interface Scored { cluster: string; rank: number; parts: { dedicated: number; region: number; environments: number; headroom: number | null; monthlyCost: number | null } }
interface Plan { cluster: string | null; policy: string; explanation: string; eligible: Scored[]; rejected: Array<{ cluster: string; check: string; reason: string }> }
interface Upgrade { id: string; target: string; state: string; reason: string | null; plan: { waves: Array<Array<{ cluster: string }>> }; progress: Record<string, { state: string; message?: string }> }
interface Row { cluster: string; verdict: string; detail: string }
interface EvacMove { tenant: string; environment: string; from: string; to: string | null; state: string; explanation: string; startedAt?: string; readyAt?: string; finishedAt?: string; rtoSeconds?: number; error?: string }
export interface EvacuationView { id: string; clusters: string[]; state: string; concurrency: number; trigger: string; moves: EvacMove[] }

const EVAC_COLUMNS: Array<Column<EvacMove>> = [
  ['ENVIRONMENT', (m) => `${m.tenant}/${m.environment}`], ['FROM', (m) => m.from], ['TO', (m) => m.to ?? '(none)'], ['STATE', (m) => m.state],
  ['READY AT', (m) => m.readyAt ?? ''], ['RTO S', (m) => m.rtoSeconds ?? ''], ['WHY', (m) => m.error ?? m.explanation],
];

/** "ev-1 fp-1 running [######------] 6/12 moved, 3 moving (1 failed)". */
export function evacuationLine(e: EvacuationView): string {
  const n = (s: string) => e.moves.filter((m) => m.state === s).length;
  const settled = n('succeeded') + n('failed') + n('unplaceable');
  const extra = [n('moving') ? `${n('moving')} moving` : '', n('failed') ? `${n('failed')} failed` : '', n('unplaceable') ? `${n('unplaceable')} unplaceable` : ''].filter(Boolean);
  return `${e.id} ${e.clusters.join(',')} ${e.state} ${bar(settled, e.moves.length)} ${n('succeeded')}/${e.moves.length} moved${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/** Polls an evacuation until it ends, a live line on a terminal (one line per change otherwise). */
export async function watchEvacuation(client: ApiClient, id: string, o: { timeoutMs: number; intervalMs?: number }): Promise<EvacuationView> {
  const deadline = Date.now() + o.timeoutMs;
  const tty = io().isTTY;
  let last = '';
  for (;;) {
    const { body: e } = await client.get<EvacuationView>(`/v1/evacuations/${enc(id)}`);
    const line = evacuationLine(e);
    if (tty) io().err(`\r\x1b[2K${line}`);
    else if (line !== last) io().err(`${line}\n`);
    last = line;
    if (e.state !== 'running') {
      if (tty) io().err('\n');
      return e;
    }
    if (Date.now() > deadline) throw new CliError(`timed out watching evacuation ${id} (still running)`, 4);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 2000));
  }
}

const PLAN_COLUMNS: Array<Column<Row>> = [['CLUSTER', (r) => r.cluster], ['VERDICT', (r) => r.verdict], ['DETAIL', (r) => r.detail]];
const UPGRADE_COLUMNS: Array<Column<Upgrade>> = [
  ['ID', (u) => u.id], ['TARGET', (u) => u.target], ['STATE', (u) => u.state],
  ['DONE', (u) => { const all = u.plan.waves.flat(); return `${all.filter((s) => u.progress[s.cluster]?.state === 'done').length}/${all.length}`; }],
  ['REASON', (u) => u.reason ?? ''],
];

export function planRows(p: Plan): Row[] {
  return [
    ...p.eligible.map((e) => ({ cluster: e.cluster, verdict: e.rank === 1 ? 'chosen' : `eligible #${e.rank}`, detail: `envs ${e.parts.environments}, headroom ${e.parts.headroom ?? '?'}, cost/month ${e.parts.monthlyCost ?? '?'}` })),
    ...p.rejected.map((r) => ({ cluster: r.cluster, verdict: `rejected (${r.check})`, detail: r.reason })),
  ];
}

export function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a non-negative integer, got "${v}"`, 2);
  return n;
}

export default function register(program: Command): void {
  for (const verb of ['cordon', 'uncordon'] as const) {
    program.command(`${verb} <cluster>`).description(verb === 'cordon' ? 'keep new placements off a cluster (admin)' : 'allow placements on a cluster again (admin)')
      .option('--reason <text>', 'why (shown in placement decisions)')
      .action(async (name: string, o: { reason?: string }, cmd: Command) => {
        const c = ctx(cmd);
        const { body } = await c.client.request<{ name: string; cordon?: { reason: string } }>('POST', `/v1/clusters/${enc(name)}:${verb}`, { body: o.reason ? { reason: o.reason } : {} });
        c.print(body, [body], [['NAME', (x) => x.name], ['CORDONED', (x) => (x.cordon ? x.cordon.reason : 'no')]]);
      });
  }

  program.command('evacuation-plan <cluster>').description('dry run: where each environment on the cluster would go (admin)').action(async (name: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ moves: Array<{ tenant: string; environment: string; to: string | null; explanation: string }> }>(`/v1/clusters/${enc(name)}/evacuation-plan`);
    c.print(body, body.moves, [['ENVIRONMENT', (m) => `${m.tenant}/${m.environment}`], ['TO', (m) => m.to ?? '(none)'], ['WHY', (m) => m.explanation]]);
  });

  program.command('evacuate [cluster]').description('move every environment off a cluster, or every cluster of --region (admin); cordons them')
    .option('--region <region>', 'every cluster of this region').option('--concurrency <n>', 'moves at once (default 5)').option('--reason <text>')
    .option('--dry-run', 'show the plan, change nothing').option('--watch', 'follow it with a progress bar until it ends').option('--timeout <seconds>', 'with --watch: give up after this long (exit 4)', '3600')
    .action(async (name: string | undefined, o: { region?: string; concurrency?: string; reason?: string; dryRun?: boolean; watch?: boolean; timeout: string }, cmd: Command) => {
      const c = ctx(cmd);
      if (!name === !o.region) throw new CliError('give a cluster or --region, not both', 2);
      const path = o.region ? `/v1/regions/${enc(o.region)}:evacuate` : `/v1/clusters/${enc(name!)}:evacuate`;
      const concurrency = int(o.concurrency, '--concurrency');
      const body = { ...(concurrency !== undefined ? { concurrency } : {}), ...(o.reason ? { reason: o.reason } : {}), ...(o.dryRun ? { dryRun: true } : {}) };
      const { body: r } = await c.client.request<EvacuationView & { dryRun?: boolean }>('POST', path, { body });
      let e = r;
      if (!o.dryRun && o.watch) e = await watchEvacuation(c.client, r.id, { timeoutMs: (int(o.timeout, '--timeout') ?? 3600) * 1000 });
      c.print(e, e.moves, EVAC_COLUMNS);
      if (!o.dryRun && o.watch && e.state !== 'succeeded') throw new CliError(`evacuation ${e.id} ${e.state}`, 1);
    });

  const ev = program.command('evacuations').description('evacuations and their per-environment progress (admin)');
  ev.command('list').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: EvacuationView[] }>('/v1/evacuations');
    c.print(body, body.items, [['ID', (e) => e.id], ['CLUSTERS', (e) => e.clusters.join(',')], ['TRIGGER', (e) => e.trigger], ['STATE', (e) => e.state], ['PROGRESS', (e) => evacuationLine(e).split('] ')[1] ?? '']]);
  });
  ev.command('get <id>').description('each environment: target, state, timestamps, RTO').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<EvacuationView>(`/v1/evacuations/${enc(id)}`);
    c.print(body, body.moves, EVAC_COLUMNS);
  });
  ev.command('watch <id>').description('follow an evacuation with a progress bar until it ends (exit 1 unless it succeeded)')
    .option('--timeout <seconds>', 'give up after this long (exit 4)', '3600')
    .action(async (id: string, o: { timeout: string }, cmd: Command) => {
      const c = ctx(cmd);
      const e = await watchEvacuation(c.client, id, { timeoutMs: (int(o.timeout, '--timeout') ?? 3600) * 1000 });
      c.print(e, e.moves, EVAC_COLUMNS);
      if (e.state !== 'succeeded') throw new CliError(`evacuation ${id} ${e.state}`, 1);
    });

  program.command('failover').description('the failover policy per tier and what it would do now (dry run, admin)').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ policy: Record<string, { mode: string; afterMs: number }>; plans: Array<{ cluster: string; tiers: string[]; moves: EvacMove[] }> }>('/v1/failover');
    const rows = body.plans.flatMap((p) => p.moves.map((m) => ({ ...m, state: `would move (${p.tiers.join(',')})` })));
    c.print(body, rows, EVAC_COLUMNS);
    if (c.format === 'table') io().err(`${table(Object.entries(body.policy).map(([tier, p]) => ({ tier, ...p })), [['TIER', (x) => x.tier], ['MODE', (x) => x.mode], ['AFTER S', (x) => x.afterMs / 1000]])}\n`);
  });

  program.command('placement').description('placement decisions').command('preview').description('where an environment of a tenant would go, and why (nothing is created)')
    .requiredOption('--tenant <slug>').option('--blueprint <name>').option('--version <v>').option('--type <type>', 'prod | staging | dev')
    .option('--policy <p>', 'spread | binpack | cost').option('--cpu-millis <n>').option('--memory-bytes <n>').option('--gpus <n>')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      const demand = Object.fromEntries(Object.entries({ cpuMillis: int(o.cpuMillis, '--cpu-millis'), memoryBytes: int(o.memoryBytes, '--memory-bytes'), gpus: int(o.gpus, '--gpus') }).filter(([, v]) => v !== undefined));
      const body = Object.fromEntries(Object.entries({ tenant: o.tenant, blueprint: o.blueprint, version: o.version, type: o.type, policy: o.policy }).filter(([, v]) => v !== undefined));
      const { body: plan } = await c.client.request<Plan>('POST', '/v1/placement:preview', { body: { ...body, ...(Object.keys(demand).length ? { demand } : {}) } });
      c.print(plan, planRows(plan), PLAN_COLUMNS);
    });

  program.command('versions').description('clusters by Kubernetes version with skew warnings (admin)').option('--target <v>', 'also list rendered objects using APIs removed in this release')
    .action(async (o: { target?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.get<{ clusters: Array<{ name: string; version: string | null; warnings: Array<{ message: string }> }> }>('/v1/fleet/versions', o.target ? { target: o.target } : {});
      c.print(body, body.clusters, [['CLUSTER', (x) => x.name], ['VERSION', (x) => x.version ?? '?'], ['WARNINGS', (x) => x.warnings.map((w) => w.message).join('; ')]]);
    });

  const up = program.command('cluster-upgrades').description('Kubernetes upgrades of clusters in waves (admin)');
  up.command('create').description('plan and start an upgrade').requiredOption('--to <version>').option('--clusters <a,b>').option('--canary <cluster>')
    .option('--wave-size <n>').option('--soak-seconds <n>').option('--approval', 'pause after the canary wave').option('--force', 'despite removed APIs in use')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      const body: Record<string, unknown> = { target: o.to };
      if (o.clusters) body.clusters = String(o.clusters).split(',').filter(Boolean);
      if (o.canary) body.canary = o.canary;
      const wave = int(o.waveSize as string | undefined, '--wave-size');
      const soak = int(o.soakSeconds as string | undefined, '--soak-seconds');
      if (wave !== undefined) body.waveSize = wave;
      if (soak !== undefined) body.soakSeconds = soak;
      if (o.approval) body.approval = true;
      if (o.force) body.force = true;
      const { body: u } = await c.client.request<Upgrade>('POST', '/v1/cluster-upgrades', { body });
      c.print(u, [u], UPGRADE_COLUMNS);
    });
  up.command('list').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: Upgrade[] }>('/v1/cluster-upgrades');
    c.print(body, body.items, UPGRADE_COLUMNS);
  });
  up.command('get <id>').description('progress per cluster').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<Upgrade>(`/v1/cluster-upgrades/${enc(id)}`);
    const rows = body.plan.waves.flatMap((w, i) => w.map((s) => ({ wave: i, cluster: s.cluster, ...(body.progress[s.cluster] ?? { state: 'pending' }) })));
    c.print(body, rows, [['WAVE', (r) => r.wave], ['CLUSTER', (r) => r.cluster], ['STATE', (r) => r.state], ['MESSAGE', (r) => r.message ?? '']]);
  });
  for (const verb of ['pause', 'resume', 'abort'] as const) {
    up.command(`${verb} <id>`).action(async (id: string, _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.request<Upgrade>('POST', `/v1/cluster-upgrades/${enc(id)}:${verb}`);
      c.print(body, [body], UPGRADE_COLUMNS);
    });
  }
}
