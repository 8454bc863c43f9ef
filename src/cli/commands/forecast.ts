// `fleetplane forecast backtest FILE.csv… [--horizons 5m,15m,30m] [-o json|table]`: rolling-origin WAPE per
// file, horizon and model (selector, candidates, baselines) plus the capacity simulator's reactive-only vs
// predictive + reactive figures; `fleetplane forecast predict FILE.csv` forecasts from the end of a trace.
// Also runnable alone: `tsx src/cli/commands/forecast.ts backtest …`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { coerceError, InputError } from '../../domain/errors.ts';
import { backtest } from '../../forecast/backtest.ts';
import { parseTraceCsv } from '../../forecast/csv.ts';
import { fitForecaster } from '../../forecast/selector.ts';
import { formatTable, summarize, type Summary, type TraceReport } from '../../forecast/report.ts';
import { toDense, type Sample } from '../../forecast/series.ts';

export interface BacktestCliOptions {
  horizons: string;
  output: OutputFormat;
  startup: string;
}

/** "5m,15m,1h" → seconds; rejects anything else with the offending item named. */
export function parseDurations(list: string): number[] {
  return list.split(',').map((raw) => {
    const item = raw.trim();
    const m = /^(\d+)(s|m|h)?$/.exec(item);
    if (!m || Number(m[1]) <= 0) throw new InputError(`--horizons: "${item}" is not a duration like 5m, 90s or 1h`);
    return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 'm') as 's' | 'm' | 'h'];
  });
}

/** Sampling step of a trace: the most common gap between timestamps (robust to a few missing rows). */
export function detectStep(samples: readonly Sample[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < samples.length; i++) {
    const d = samples[i]!.ts - samples[i - 1]!.ts;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 60;
  let n = 0;
  for (const [d, c] of counts) if (c > n) { best = d; n = c; }
  return best;
}

export function backtestFile(file: string, horizonsSec: number[], startupSec = 180): TraceReport {
  const samples = readSamples(file);
  const step = detectStep(samples);
  const dense = toDense(samples, step, { season: Math.round(86_400 / step) });
  const day = Math.round(86_400 / step);
  const horizons = horizonsSec.map((s) => Math.max(1, Math.round(s / step)));
  if (dense.values.length < 2 * day) throw new InputError(`${file}: needs at least two days of data at ${step}s steps, has ${dense.values.length} points`);
  const result = backtest(dense.values, { horizons, day, stepSeconds: step, startup: Math.max(1, Math.round(startupSec / step)), observed: dense.observed });
  return { file: basename(file), result };
}

export function toJson(reports: readonly TraceReport[], summary: Summary): unknown {
  return {
    files: reports.map((r) => ({
      file: r.file, points: r.result.points, season_points: r.result.period, origins: r.result.origins,
      horizons: r.result.horizons.map((h) => ({ horizon_minutes: h.horizon, wape: h.wape, chosen: h.chosen })),
      simulator: r.result.simulation,
    })),
    median_wape: summary.medianWape,
    best_baseline: summary.bestBaseline,
    simulator_total: summary.simulation,
  };
}

export function runBacktest(files: string[], o: BacktestCliOptions): string {
  if (files.length === 0) throw new InputError('forecast backtest: give at least one CSV file');
  const horizons = parseDurations(o.horizons);
  const [startup] = parseDurations(o.startup);
  const reports = files.map((f) => backtestFile(f, horizons, startup));
  const summary = summarize(reports);
  return o.output === 'table' ? formatTable(reports, summary) : serialize(toJson(reports, summary), o.output);
}

export interface PredictCliOptions { horizons: string; lead: string; quantile: string; capacity?: string; output: OutputFormat }

export type OutputFormat = 'json' | 'yaml' | 'table';

function serialize(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(data, null, 2) : YAML.stringify(data).trimEnd();
}

// `-o` is also the fleetplane program's global flag: whichever was given wins, table by default.
function outputOf(cmd: Command): OutputFormat {
  const v = cmd.optsWithGlobals<{ output?: string }>().output ?? 'table';
  if (v !== 'json' && v !== 'yaml' && v !== 'table') throw new InputError(`-o: "${v}" is not one of table, json, yaml`);
  return v;
}

/** Forecast from the end of one trace: per-horizon values with the chosen model, and the window bound. */
export function runPredict(file: string, o: PredictCliOptions): string {
  const samples = readSamples(file);
  const step = detectStep(samples);
  const dense = toDense(samples, step, { season: Math.round(86_400 / step) });
  const n = dense.values.length;
  if (n < 120) throw new InputError(`${file}: needs at least 120 points, has ${n}`);
  const q = Number(o.quantile);
  if (!(q >= 0.5 && q < 1)) throw new InputError(`--quantile: "${o.quantile}" must be between 0.5 and 1`);
  const capacity = o.capacity === undefined ? undefined : Number(o.capacity);
  if (capacity !== undefined && !(capacity > 0)) throw new InputError(`--capacity: "${o.capacity}" must be a positive number`);
  const toPts = (sec: number): number => Math.max(1, Math.round(sec / step));
  const horizons = parseDurations(o.horizons).map(toPts);
  const lead = toPts(parseDurations(o.lead)[0]!);
  const f = fitForecaster(dense.values, { horizons, leadTime: lead, quantile: q, day: Math.round(86_400 / step) });
  const w = f.window(n - 1);
  const out = {
    file: basename(file), last: { ts: dense.start + (n - 1) * step, value: dense.values[n - 1]! }, season_points: f.ctx.period,
    horizons: horizons.map((h) => ({ minutes: (h * step) / 60, value: f.predict(n - 1, h), model: f.choice.get(h) })),
    window: { lead_minutes: (lead * step) / 60, point: w.point, upper: w.upper, quantile: q },
    ...(capacity ? { replicas_for_upper: Math.ceil(w.upper / capacity - 1e-9) } : {}),
  };
  if (o.output !== 'table') return serialize(out, o.output);
  return [
    `${out.file}: last value ${out.last.value} at ${new Date(out.last.ts * 1000).toISOString()}, season ${out.season_points || 'none'}`,
    ...out.horizons.map((h) => `  +${h.minutes}m  ${h.value.toPrecision(5)}  (${h.model})`),
    `  max over next ${out.window.lead_minutes}m: ${w.point.toPrecision(5)}, upper (q=${q}) ${w.upper.toPrecision(5)}${capacity ? ` -> ${out.replicas_for_upper} pods of ${capacity}` : ''}`,
  ].join('\n');
}

function readSamples(file: string): Sample[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read (${coerceError(err).message})`);
  }
  return parseTraceCsv(text, file);
}

export function forecastCommand(): Command {
  const cmd = new Command('forecast').description('load forecasting for predictive scaling');
  cmd.command('backtest')
    .description('rolling-origin backtest of `ts,value` CSV traces (Unix seconds): WAPE per horizon and model, plus the capacity simulator')
    .argument('<files...>', 'CSV traces')
    .option('--horizons <list>', 'forecast horizons', '5m,15m,30m')
    .option('--startup <duration>', 'pod start-up + readiness used by the simulator', '3m')
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
