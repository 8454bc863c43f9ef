// fleetplane rollouts create|list|get|pause|resume|abort|watch: fleet-wide upgrades in waves.
import type { Command } from 'commander';
import { changeSignal } from '../event-stream.ts';
import { CliError, type ApiClient } from '../client.ts';
import { collect, ctx, enc, intFlag, keyValues } from '../context.ts';
import { age, table, type Column } from '../output.ts';
import { io } from '../io.ts';

type Counts = Record<'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped', number>;

export interface RolloutWaveView {
  index: number; name: string; state: string; counts: Counts; gate: string; gateReason?: string;
  targets: Array<{ tenant: string; environment: string; state: string; operationId: string | null; reason: string | null; fromVersion: string | null }>;
}

export interface RolloutView {
  id: string; blueprint: string; version: string; state: string; reason: string | null; currentWave: number;
  totals: Counts & { total: number }; waves: RolloutWaveView[]; skipped: Array<{ tenant: string; environment: string; reason: string }>;
  createdAt: string; finishedAt: string | null;
}

const FINAL = new Set(['succeeded', 'failed', 'aborted']);

/** "7/12 done (1 failed)": settled targets over all targets. */
export function progressText(r: Pick<RolloutView, 'totals'>): string {
  const t = r.totals;
  const done = t.succeeded + t.failed + t.cancelled + t.skipped;
  const extra = [t.running ? `${t.running} running` : '', t.failed ? `${t.failed} failed` : '', t.cancelled ? `${t.cancelled} cancelled` : ''].filter(Boolean);
  return `${done}/${t.total} done${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** A fixed-width text bar, e.g. [#####-----]. */
export function bar(done: number, total: number, width = 24): string {
  const n = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}

export function rolloutLine(r: RolloutView): string {
  const t = r.totals;
  const wave = r.waves[r.currentWave];
  const where = FINAL.has(r.state) ? '' : ` wave ${r.currentWave + 1}/${r.waves.length}${wave ? ` ${wave.name}` : ''}`;
  return `${r.id} ${r.blueprint}@${r.version} ${r.state}${where} ${bar(t.succeeded + t.failed + t.cancelled + t.skipped, t.total)} ${progressText(r)}`;
}

export const ROLLOUT_COLUMNS: Array<Column<RolloutView>> = [
  ['ID', (r) => r.id], ['RELEASE', (r) => `${r.blueprint}@${r.version}`], ['STATE', (r) => r.state],
  ['WAVE', (r) => (r.waves.length ? `${Math.min(r.currentWave + 1, r.waves.length)}/${r.waves.length}` : '-')],
  ['PROGRESS', (r) => progressText(r)], ['REASON', (r) => r.reason], ['AGE', (r) => age(r.createdAt)],
];

export const WAVE_COLUMNS: Array<Column<RolloutWaveView>> = [
  ['WAVE', (w) => `${w.index + 1} ${w.name}`], ['STATE', (w) => w.state],
  ['TARGETS', (w) => w.targets.length], ['SUCCEEDED', (w) => w.counts.succeeded], ['RUNNING', (w) => w.counts.running],
  ['FAILED', (w) => w.counts.failed], ['PENDING', (w) => w.counts.pending], ['GATE', (w) => (w.gateReason ? `${w.gate}: ${w.gateReason}` : w.gate)],
];

/** The per-wave table, then failed targets with their reasons. */
export function describeRollout(r: RolloutView): string {
  const lines = [rolloutLine(r), ...(r.reason ? [`reason: ${r.reason}`] : []), '', table(r.waves, WAVE_COLUMNS)];
  const failed = r.waves.flatMap((w) => w.targets.filter((t) => t.state === 'failed').map((t) => ({ ...t, wave: w.name })));
  if (failed.length) lines.push('', table(failed, [['FAILED TARGET', (t) => `${t.tenant}/${t.environment}`], ['WAVE', (t) => t.wave], ['OPERATION', (t) => t.operationId], ['REASON', (t) => t.reason]]));
  if (r.skipped.length) lines.push('', `skipped: ${r.skipped.length} (${[...new Set(r.skipped.map((s) => s.reason))].join(', ')})`);
  return lines.join('\n');
}

/** Follows a rollout until it ends (re-read on every change the event stream reports, at most intervalMs apart), drawing a live line on a terminal (one line per change otherwise). */
export async function watchRollout(client: ApiClient, id: string, o: { timeoutMs: number; intervalMs?: number; tty?: boolean; onLine?: (line: string) => void }): Promise<RolloutView> {
  const deadline = Date.now() + o.timeoutMs;
  const tty = o.tty ?? io().isTTY;
  let last = '';
  // Re-read when the server streams a change of this rollout; poll slowly as the fallback.
  const changes = changeSignal(client, { rollout: id, topics: 'rollout,rollout-target' });
  try {
    return await follow();
  } finally {
    changes.close();
  }
  async function follow(): Promise<RolloutView> {
    for (;;) {
      const { body: r } = await client.get<RolloutView>(`/v1/rollouts/${enc(id)}`);
      const line = rolloutLine(r);
      if (o.onLine) o.onLine(line);
      else if (tty) io().err(`\r\x1b[2K${line}`);
      else if (line !== last) io().err(`${line}\n`);
      last = line;
      const done = FINAL.has(r.state) || r.state === 'paused';
      if (done || Date.now() > deadline) {
        if (tty && !o.onLine) io().err('\n');
        if (!done) throw new CliError(`timed out watching rollout ${id} (still ${r.state})`, 4);
        return r;
      }
      await changes.wait(o.intervalMs ?? 5000);
    }
  }
}

interface CreateFlags {
  label?: string[]; envType?: string[]; cluster?: string[]; tenant?: string[];
  canary?: number; canaryPercent?: string; waves?: string; maxParallel?: number; maxFailures?: number;
  bake?: number; health: boolean; idempotencyKey?: string;
}

function numbers(v: string, flag: string): number[] {
  const out = v.split(',').map((x) => Number(x.trim()));
  if (out.some((n) => !Number.isFinite(n))) throw new CliError(`${flag} expects comma-separated numbers, got "${v}"`, 2);
  return out;
}

function selectorOf(f: CreateFlags): Record<string, unknown> {
  return {
    ...(f.label?.length ? { labels: keyValues(f.label, '--label') } : {}),
    ...(f.envType?.length ? { envTypes: f.envType } : {}),
    ...(f.cluster?.length ? { clusters: f.cluster } : {}),
    ...(f.tenant?.length ? { tenants: f.tenant } : {}),
  };
}

function strategyOf(f: CreateFlags): Record<string, unknown> {
  const canary = f.canary !== undefined ? { count: f.canary } : f.canaryPercent !== undefined ? { percent: numbers(f.canaryPercent, '--canary-percent')[0] } : undefined;
  const gates = { ...(f.bake !== undefined ? { bakeSeconds: f.bake } : {}), ...(f.health ? {} : { health: false }) };
  return {
    ...(canary ? { canary } : {}), ...(f.waves ? { waves: numbers(f.waves, '--waves') } : {}),
    ...(f.maxParallel !== undefined ? { maxParallel: f.maxParallel } : {}), ...(f.maxFailures !== undefined ? { maxFailures: f.maxFailures } : {}),
    ...(Object.keys(gates).length ? { gates } : {}),
  };
}

export function createBody(release: string, f: CreateFlags): Record<string, unknown> {
  const m = /^([a-z0-9-]+)@(.+)$/.exec(release);
  if (!m) throw new CliError(`release must be BLUEPRINT@VERSION (e.g. default@1.5.0), got "${release}"`, 2);
  const selector = selectorOf(f);
  const strategy = strategyOf(f);
  return { blueprint: m[1], version: m[2], ...(Object.keys(selector).length ? { selector } : {}), ...(Object.keys(strategy).length ? { strategy } : {}) };
}

export default function register(program: Command): void {
  const ro = program.command('rollouts').alias('rollout').description('fleet rollouts of a blueprint release in waves');

  ro.command('create <release>').description('start a rollout of BLUEPRINT@VERSION to every matching environment')
    .option('--label <k=v>', 'tenant label selector (repeatable)', collect).option('--env-type <type>', 'prod | staging | dev (repeatable)', collect)
    .option('--cluster <name>', 'only environments on this cluster (repeatable)', collect).option('--tenant <slug>', 'only this tenant (repeatable)', collect)
    .option('--canary <n>', 'canary environments in the first wave', intFlag('--canary')).option('--canary-percent <p>', 'canary as a percentage')
    .option('--waves <p,p,…>', 'ascending cumulative percentages, e.g. 25,50,100').option('--max-parallel <n>', 'upgrades at once', intFlag('--max-parallel'))
    .option('--max-failures <n>', 'failures tolerated before pausing', intFlag('--max-failures')).option('--bake <seconds>', 'wait after each wave', intFlag('--bake'))
    .option('--no-health', 'do not stop on unhealthy environments').option('--idempotency-key <key>', 'a retry with the same key returns the same rollout')
    .option('--watch', 'follow the rollout until it ends').option('--timeout <seconds>', 'with --watch: give up after this long (exit 4)', intFlag('--timeout'), 1800)
    .action(async (release: string, f: CreateFlags & { watch?: boolean; timeout: number }, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = f.idempotencyKey ? { 'idempotency-key': f.idempotencyKey } : {};
      let { body: r } = await c.client.request<RolloutView>('POST', '/v1/rollouts', { body: createBody(release, f), headers });
      if (f.watch) r = await watchRollout(c.client, r.id, { timeoutMs: f.timeout * 1000 });
      c.print(r, [r], ROLLOUT_COLUMNS);
      if (f.watch && r.state !== 'succeeded') throw new CliError(`rollout ${r.id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`, 1);
    });

  ro.command('list').description('list rollouts, newest first')
    .option('--limit <n>', 'page size', intFlag('--limit')).option('--cursor <c>', 'page cursor')
    .action(async (o: { limit?: number; cursor?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.get<{ items: RolloutView[]; next?: string }>('/v1/rollouts', o);
      c.print(body, body.items, ROLLOUT_COLUMNS);
    });

  ro.command('get <id>').description('show a rollout with per-wave progress').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<RolloutView>(`/v1/rollouts/${enc(id)}`);
    if (c.format === 'table') io().out(`${describeRollout(body)}\n`);
    else c.print(body, [body], ROLLOUT_COLUMNS);
  });

  ro.command('watch <id>').description('follow a rollout with a live progress line until it ends or pauses (exit 1 unless it succeeded)')
    .option('--timeout <seconds>', 'give up after this long (exit 4)', intFlag('--timeout'), 1800)
    .action(async (id: string, o: { timeout: number }, cmd: Command) => {
      const c = ctx(cmd);
      const r = await watchRollout(c.client, id, { timeoutMs: o.timeout * 1000 });
      if (c.format === 'table') io().out(`${describeRollout(r)}\n`);
      else c.print(r, [r], ROLLOUT_COLUMNS);
      if (r.state !== 'succeeded') throw new CliError(`rollout ${id} ${r.state}${r.reason ? `: ${r.reason}` : ''}`, 1);
    });

  for (const verb of ['pause', 'resume', 'abort'] as const) {
    ro.command(`${verb} <id>`).description(`${verb} a rollout`).action(async (id: string, _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.request<RolloutView>('POST', `/v1/rollouts/${enc(id)}:${verb}`);
      c.print(body, [body], ROLLOUT_COLUMNS);
    });
  }
}
