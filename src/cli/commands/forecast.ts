// `fleetplane forecast backtest FILE.csv… [--horizons 5m,15m,30m] [-o json|table]`: rolling-origin WAPE per
// file, horizon and model (selector, candidates, baselines) plus the capacity simulator's reactive-only vs
// predictive + reactive figures. Also runnable alone: `tsx src/cli/commands/forecast.ts backtest …`.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
import { coerceError, InputError } from '../../domain/errors.ts';
import { backtest } from '../../forecast/backtest.ts';
import { parseTraceCsv } from '../../forecast/csv.ts';
import { formatTable, summarize, type Summary, type TraceReport } from '../../forecast/report.ts';
import { toDense, type Sample } from '../../forecast/series.ts';

export interface BacktestCliOptions {
  horizons: string;
  output: 'json' | 'table';
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read (${coerceError(err).message})`);
  }
  const samples = parseTraceCsv(text, file);
  const step = detectStep(samples);
  const dense = toDense(samples, step, { season: Math.round(86_400 / step) });
  const day = Math.round(86_400 / step);
  const horizons = horizonsSec.map((s) => Math.max(1, Math.round(s / step)));
  if (dense.values.length < 2 * day) throw new InputError(`${file}: needs at least two days of data at ${step}s steps, has ${dense.values.length} points`);
  const result = backtest(dense.values, { horizons, day, startup: Math.max(1, Math.round(startupSec / step)), observed: dense.observed });
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
  return o.output === 'json' ? JSON.stringify(toJson(reports, summary), null, 2) : formatTable(reports, summary);
}

export function forecastCommand(): Command {
  const cmd = new Command('forecast').description('load forecasting for predictive scaling');
  cmd.command('backtest')
    .description('rolling-origin backtest of `ts,value` CSV traces (Unix seconds): WAPE per horizon and model, plus the capacity simulator')
    .argument('<files...>', 'CSV traces')
    .option('--horizons <list>', 'forecast horizons', '5m,15m,30m')
    .option('--startup <duration>', 'pod start-up + readiness used by the simulator', '3m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'table']).default('table'))
    .action((files: string[], o: BacktestCliOptions) => {
      process.stdout.write(`${runBacktest(files, o)}\n`);
    });
  return cmd;
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
