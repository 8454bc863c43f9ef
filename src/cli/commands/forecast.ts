// `fleetplane forecast backtest FILE.csv… [--horizons 5m,15m,30m] [--folds 4] [-o json|table]`: leave-traces-out
// rolling-origin evaluation per file, horizon and model (selector, candidates, the five simple baselines)
// with bootstrap intervals, quantile coverage, and the capacity simulator's reactive / pre-scaler /
// schedule-only figures; `fleetplane forecast predict FILE.csv` forecasts from the end of a trace.
// Also runnable alone: `tsx src/cli/commands/forecast.ts backtest …`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { coerceError, InputError } from '../../domain/errors.ts';
import { backtest } from '../../forecast/backtest.ts';
import { parseTrace } from '../../forecast/csv.ts';
import { leaveTracesOut, type Evaluation, type TraceRun } from '../../forecast/evaluation.ts';
import { formatTable, summarize, type Summary } from '../../forecast/report.ts';
import { DEFAULT_CONFIG, fitForecaster } from '../../forecast/selector.ts';
import { traceSeries, type TraceSeries } from '../../forecast/trace.ts';
import { addVpaCommands } from './vpa.ts';

export { detectStep } from '../../forecast/trace.ts';

/** A backtest needs a day of history, a validation window inside it, and a day and a half to test on. */
export const MIN_BACKTEST_DAYS = 3;

export interface BacktestCliOptions {
  horizons: string;
  output: OutputFormat;
  startup: string;
  folds?: string;
  capacity?: string;
  quantile?: string;
}

/** "5m,15m,1h" → seconds; rejects anything else with the offending item named. */
export function parseDurations(list: string, flag = '--horizons'): number[] {
  return list.split(',').map((raw) => {
    const item = raw.trim();
    const m = /^(\d+)(s|m|h)?$/.exec(item);
    if (!m || Number(m[1]) <= 0) throw new InputError(`${flag}: "${item}" is not a duration like 5m, 90s or 1h`);
    return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 'm') as 's' | 'm' | 'h'];
  });
}

function readTrace(file: string, minDays: number): TraceSeries {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read (${coerceError(err).message})`);
  }
  return traceSeries(parseTrace(text, file), file, minDays);
}

/** Horizons in seconds → points of this trace's step; a horizon that is not a whole number of steps is refused. */
function toPoints(file: string, seconds: number[], step: number, flag = '--horizons'): number[] {
  return seconds.map((s) => {
    if (s % step !== 0) throw new InputError(`${file}: ${flag} ${s / 60}m is not a whole number of the trace's ${step}s steps`);
    return s / step;
  });
}

export interface BacktestFileOptions { horizonsSec: number[]; startupSec?: number; capacity?: number; quantile?: number }

export function backtestFile(file: string, o: BacktestFileOptions): TraceRun {
  const t = readTrace(file, MIN_BACKTEST_DAYS);
  const horizons = toPoints(file, o.horizonsSec, t.step);
  const startup = Math.max(1, Math.round((o.startupSec ?? 180) / t.step));
  const result = backtest(t.values, { horizons, day: t.day, stepSeconds: t.step, startup, observed: t.observed, capacity: o.capacity, quantile: o.quantile });
  return { file: basename(file), result };
}

export function toJson(ev: Evaluation, summary: Summary): unknown {
  return { protocol: { folds: ev.folds, config_on_all_traces: ev.configOnAll, policy_on_all_traces: ev.policyOnAll }, traces: ev.traces, summary };
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!(x > 0) || !Number.isFinite(x)) throw new InputError(`${flag}: "${v}" must be a positive number`);
  return x;
}

function quantileOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const q = Number(v);
  if (!(q >= 0.5 && q < 1)) throw new InputError(`--quantile: "${v}" must be between 0.5 and 1`);
  return q;
}

export function evaluateFiles(files: string[], o: Omit<BacktestCliOptions, 'output'>): { ev: Evaluation; summary: Summary } {
  if (files.length === 0) throw new InputError('forecast backtest: give at least one CSV file');
  const horizonsSec = parseDurations(o.horizons);
  if (horizonsSec.length > 8) throw new InputError('--horizons: at most 8 horizons');
  const [startupSec] = parseDurations(o.startup, '--startup');
  const folds = o.folds === undefined ? 4 : Number(o.folds);
  if (!Number.isInteger(folds) || folds < 1) throw new InputError(`--folds: "${o.folds}" must be a whole number >= 1`);
  const runs = files.map((f) => backtestFile(f, { horizonsSec, startupSec, capacity: positive('--capacity', o.capacity), quantile: quantileOf(o.quantile) }));
  const ev = leaveTracesOut(runs, folds, DEFAULT_CONFIG);
  return { ev, summary: summarize(ev) };
}

export function runBacktest(files: string[], o: BacktestCliOptions): string {
  const { ev, summary } = evaluateFiles(files, o);
  return o.output === 'table' ? formatTable(ev, summary) : serialize(toJson(ev, summary), o.output);
}

export interface PredictCliOptions { horizons: string; lead: string; quantile: string; capacity?: string; output: OutputFormat }

export type OutputFormat = 'json' | 'yaml' | 'table';

function serialize(data: unknown, format: 'json' | 'yaml'): string {
  // Non-finite numbers (undefined gains on a constant trace) become null in JSON.
  return format === 'json' ? JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) : YAML.stringify(data).trimEnd();
}

// `-o` is also the fleetplane program's global flag: whichever was given wins, table by default.
function outputOf(cmd: Command): OutputFormat {
  const v = cmd.optsWithGlobals<{ output?: string }>().output ?? 'table';
  if (v !== 'json' && v !== 'yaml' && v !== 'table') throw new InputError(`-o: "${v}" is not one of table, json, yaml`);
  return v;
}

/** Forecast from the end of one trace: per-horizon values with the chosen model, and the window bound. */
export function runPredict(file: string, o: PredictCliOptions): string {
  const t = readTrace(file, 1);
  const n = t.values.length;
  const q = quantileOf(o.quantile)!;
  const capacity = positive('--capacity', o.capacity);
  const horizons = toPoints(file, parseDurations(o.horizons), t.step);
  const lead = Math.max(1, Math.ceil(parseDurations(o.lead, '--lead')[0]! / t.step));
  const f = fitForecaster(t.values, { horizons, leadTime: lead, quantile: q, day: t.day });
  const w = f.window(n - 1);
  const out = {
    file: basename(file), last: { ts: t.start + (n - 1) * t.step, value: t.values[n - 1]! }, step_seconds: t.step, season_points: f.ctx.period, config: f.config.name,
    horizons: horizons.map((h) => ({ minutes: (h * t.step) / 60, value: f.predict(n - 1, h), model: f.choice.get(h) })),
    window: { lead_minutes: (lead * t.step) / 60, point: w.point, upper: w.upper, quantile: q },
    ...(capacity ? { replicas_for_upper: Math.ceil(w.upper / capacity - 1e-9) } : {}),
  };
  if (o.output !== 'table') return serialize(out, o.output);
  return [
    `${out.file}: last value ${out.last.value} at ${new Date(out.last.ts * 1000).toISOString()}, step ${t.step}s, season ${out.season_points || 'none'}`,
    ...out.horizons.map((h) => `  +${h.minutes}m  ${h.value.toPrecision(5)}  (${h.model})`),
    `  max over next ${out.window.lead_minutes}m: ${w.point.toPrecision(5)}, upper (q=${q}) ${w.upper.toPrecision(5)}${capacity ? ` -> ${out.replicas_for_upper} pods of ${capacity}` : ''}`,
  ].join('\n');
}

export function forecastCommand(): Command {
  const cmd = new Command('forecast').description('load forecasting for predictive scaling');
  cmd.command('backtest')
    .description('rolling-origin backtest of `ts,value` CSV traces (Unix seconds): WAPE per horizon and model, plus the capacity simulator')
    .argument('<files...>', 'CSV traces')
    .option('--horizons <list>', 'forecast horizons (minutes whatever the trace step)', '5m,15m,30m')
    .option('--startup <duration>', 'pod start-up + readiness used by the simulator', '3m')
    .option('--folds <k>', 'leave-traces-out folds (shared settings chosen on the other folds)', '4')
    .option('--capacity <load>', 'load one pod serves at 100% (the policy capacityPerPod); default: the stated rule')
    .option('--quantile <q>', 'quantile of the upper bound', '0.9')
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action((files: string[], o: BacktestCliOptions, cmd: Command) => {
      process.stdout.write(`${runBacktest(files, { ...o, output: outputOf(cmd) })}\n`);
    });
  cmd.command('predict')
    .description('forecast from the end of a `ts,value` CSV trace: per-horizon values, chosen models, and the upper bound over the lead time')
    .argument('<file>', 'CSV trace')
    .option('--horizons <list>', 'forecast horizons', '5m,15m,30m')
    .option('--lead <duration>', 'lead time: pod start-up + readiness + HPA sync', '5m')
    .option('--quantile <q>', 'residual quantile of the upper bound', '0.9')
    .option('--capacity <load>', 'load one pod serves: also print the pods the upper bound needs')
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action((file: string, o: PredictCliOptions, cmd: Command) => {
      process.stdout.write(`${runPredict(file, { ...o, output: outputOf(cmd) })}\n`);
    });
  addApiCommands(cmd);
  addVpaCommands(cmd);
  return cmd;
}

interface DecisionView {
  at: string; action: string; mode: string; minReplicas: number; previousMinReplicas: number | null; applied: boolean; reason: string;
  forecast: { upper: number; horizons: Array<{ minutes: number; value: number }> } | null;
}

function envPath(ref: string): string {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(ref);
  if (!m) throw new InputError(`"${ref}" is not TENANT/ENV (e.g. acme/prod)`);
  return `/v1/environments/${m[1]}/${m[2]}/scaling`;
}

/** `forecast decisions` and `forecast policy`: the live pre-scaler through the API (needs a server). */
function addApiCommands(cmd: Command): void {
  cmd.command('decisions')
    .description("the pre-scaler's decisions for an environment, newest first (API)")
    .argument('<tenant/env>')
    .option('--limit <n>', 'page size', '20').option('--cursor <c>', 'page cursor')
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action(async (ref: string, o: { limit: string; cursor?: string }, c: Command) => {
      const { ctx } = await import('../context.ts');
      const x = ctx(c);
      const { body } = await x.client.get<{ items: DecisionView[]; next?: string }>(`${envPath(ref)}/decisions`, { limit: o.limit, cursor: o.cursor });
      x.print(body, body.items, [
        ['AT', (d) => d.at], ['ACTION', (d) => d.action], ['MODE', (d) => d.mode], ['MIN', (d) => d.minReplicas], ['WAS', (d) => d.previousMinReplicas],
        ['APPLIED', (d) => d.applied], ['UPPER', (d) => d.forecast?.upper.toPrecision(4)], ['REASON', (d) => d.reason],
      ]);
    });
  cmd.command('policy')
    .description("show an environment's scaling policy, or set it from a JSON/YAML file with -f (API)")
    .argument('<tenant/env>')
    .option('-f, --file <file>', 'policy document to apply ("-" = stdin)')
    .addOption(new Option('-o, --output <format>', 'output format: table | json | yaml'))
    .action(async (ref: string, o: { file?: string }, c: Command) => {
      const { ctx, readDoc } = await import('../context.ts');
      const x = ctx(c);
      const path = `${envPath(ref)}/policy`;
      const { body } = o.file
        ? await x.client.request<Record<string, unknown>>('PUT', path, { body: await readDoc(o.file) })
        : await x.client.get<Record<string, unknown>>(path);
      x.print(body, Object.entries(body), [['FIELD', ([k]) => k], ['VALUE', ([, v]) => (typeof v === 'object' ? JSON.stringify(v) : v)]]);
    });
}

/** Registers `forecast` on the fleetplane program (the CLI's command list calls this). */
export function register(program: Command): void {
  program.addCommand(forecastCommand());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const program = new Command('fleetplane').exitOverride();
  register(program);
  try {
    // Standalone: `forecast.ts backtest …` and `forecast.ts forecast backtest …` both work.
    const args = process.argv.slice(2);
    program.parse(args[0] === 'forecast' ? args : ['forecast', ...args], { from: 'user' });
  } catch (err) {
    const e = coerceError(err);
    if ((e as { code?: string }).code?.startsWith('commander.')) process.exit((e as { exitCode?: number }).exitCode ?? 2);
    process.stderr.write(`fleetplane: ${e.message}\n`);
    process.exit(e instanceof InputError ? 2 : 1);
  }
}
