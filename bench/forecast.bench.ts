// Forecast quality on the real traces in shared/data/traces/crane (or FLEETPLANE_TRACES_DIR), with the same
// code as `fleetplane forecast backtest`: leave-traces-out (4 folds: shared settings chosen on the other
// folds' traces), rolling origin inside each trace. Prints the per-trace report, then one JSON line with
// every headline figure next to its baseline from the same run.
// For iteration: FLEETPLANE_FORECAST_TRACES=input2,input6 runs only those traces (final figures are on the
// full set); FLEETPLANE_FORECAST_SAVE=/tmp/file.json writes the per-trace backtests, and
// FLEETPLANE_FORECAST_LOAD=/tmp/file.json re-evaluates saved backtests without refitting (protocol changes only).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backtestFile } from '../src/cli/commands/forecast.ts';
import { leaveTracesOut, type TraceRun } from '../src/forecast/evaluation.ts';
import { formatTable, summarize } from '../src/forecast/report.ts';
import { DEFAULT_CONFIG } from '../src/forecast/selector.ts';
import { tracesDir } from './traces-dir.ts';

const dir = tracesDir();
const subset = process.env.FLEETPLANE_FORECAST_TRACES?.split(',').map((x) => x.trim().replace(/\.csv$/, '')).filter(Boolean);
const files = readdirSync(dir).filter((f) => f.endsWith('.csv') && (!subset || subset.includes(f.replace(/\.csv$/, '')))).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
if (files.length === 0) throw new Error(`forecast bench: no *.csv traces in ${dir} (set FLEETPLANE_TRACES_DIR)`);

const t0 = performance.now();
const load = process.env.FLEETPLANE_FORECAST_LOAD;
const runs: TraceRun[] = load ? (JSON.parse(readFileSync(load, 'utf8')) as TraceRun[]).filter((r) => files.includes(r.file)) : files.map((f, i) => {
  const run = backtestFile(join(dir, f), { horizonsSec: [5 * 60, 15 * 60, 30 * 60] });
  process.stderr.write(`forecast bench: ${i + 1}/${files.length} ${f} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  return run;
});
if (process.env.FLEETPLANE_FORECAST_SAVE) writeFileSync(process.env.FLEETPLANE_FORECAST_SAVE, JSON.stringify(runs));
const ev = leaveTracesOut(runs, 4, DEFAULT_CONFIG);
const s = summarize(ev);
console.log(formatTable(ev, s));

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const h = (m: number) => s.horizons.find((x) => x.minutes === m)!;
const gains = (m: number) => ev.traces.map((t) => { const x = t.horizons.find((y) => y.minutes === m)!; return { file: t.file, baseline: x.baseline.name, gain: r4(x.gain.gain), lo: r4(x.gain.lo), hi: r4(x.gain.hi) }; });
console.log(JSON.stringify({
  bench: 'forecast',
  metric: 'median_wape_gain_15m',
  value: r4(h(15).medianGain),
  unit: 'fraction (1 - WAPE selector / WAPE strongest simple baseline, per trace, median)',
  baseline: 'strongest simple baseline per trace, chosen in hindsight (last value, same time yesterday, recent mean, seasonal naive, seasonal naive x level)',
  baseline_value: r4(h(15).medianWape.strongest_baseline!),
  ratio: r4(h(15).medianWape.selector! / h(15).medianWape.strongest_baseline!),
  protocol: { traces: runs.length, files: runs.map((r) => r.file), loaded: load !== undefined, folds: ev.folds.map((f) => ({ held_out: f.heldOut, config: f.config })), config_on_all_traces: ev.configOnAll, test_days: ev.traces.map((t) => t.testDays) },
  median_wape_selector: Object.fromEntries(s.horizons.map((x) => [x.minutes, r4(x.medianWape.selector!)])),
  median_wape_strongest_baseline: Object.fromEntries(s.horizons.map((x) => [x.minutes, r4(x.medianWape.strongest_baseline!)])),
  median_gain: Object.fromEntries(s.horizons.map((x) => [x.minutes, r4(x.medianGain)])),
  median_gain_vs_simple_selector: Object.fromEntries(s.horizons.map((x) => [x.minutes, r4(x.medianGainVsSimpleSelector)])),
  best_single_baseline_by_median: Object.fromEntries(s.horizons.map((x) => [x.minutes, { name: x.singleBaseline.name, wape: r4(x.singleBaseline.wape) }])),
  significant: Object.fromEntries(s.horizons.map((x) => [x.minutes, { better: x.significantWins, worse: x.significantLosses }])),
  gains_15m: gains(15), gains_30m: gains(30),
  coverage_q: s.quantile.q,
  coverage_pooled: r4(s.quantile.pooledCoverage), coverage_median: r4(s.quantile.medianCoverage),
  coverage_simple_selector: r4(s.quantile.simpleSelectorPooledCoverage), coverage_best_baseline_bound: r4(s.quantile.bestBaselinePooledCoverage),
  pinball_median: r4(s.quantile.medianPinball), pinball_simple_selector: r4(s.quantile.simpleSelectorMedianPinball), pinball_best_baseline_bound: r4(s.quantile.bestBaselineMedianPinball),
  neural_chosen_alone: r4(s.neural.chosenAlone), neural_in_ensemble: r4(s.neural.inEnsemble),
  neural_median_wape: Object.fromEntries(Object.entries(s.neural.medianWape).map(([m, w]) => [m, r4(w)])), neural_coverage: r4(s.neural.pooledCoverage),
  sim_over_capacity_minutes: { reactive: s.simulation.reactive.over, prescaler: s.simulation.predictive.over, schedule: s.simulation.schedule.over },
  sim_slo_violation_minutes: { reactive: s.simulation.reactive.slo, prescaler: s.simulation.predictive.slo, schedule: s.simulation.schedule.slo },
  sim_replica_minutes: { reactive: s.simulation.reactive.replicaMinutes, prescaler: s.simulation.predictive.replicaMinutes, schedule: s.simulation.schedule.replicaMinutes },
  sim_over_ratio: r4(s.simulation.overRatio), sim_cost_ratio: r4(s.simulation.costRatio), sim_slo_ratio: r4(s.simulation.sloRatio),
  sim_policy: { folds: ev.folds.map((f) => f.policy), on_all_traces: ev.policyOnAll }, sim_default_policy_over_ratio: r4(s.simulation.defaultOverRatio), sim_default_policy_cost_ratio: r4(s.simulation.defaultCostRatio),
  sim_median_trace_over_ratio: r4(s.simulation.medianOverRatio), sim_median_trace_cost_ratio: r4(s.simulation.medianCostRatio),
  sim_schedule_over_ratio: r4(s.simulation.scheduleOverRatio), sim_schedule_cost_ratio: r4(s.simulation.scheduleCostRatio),
  seconds: Math.round((performance.now() - t0) / 1000),
}));
