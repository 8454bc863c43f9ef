// Forecast quality on the real traces in ../shared/data/traces/crane (or FLEETPLANE_TRACES_DIR): the same
// code as `fleetplane forecast backtest`. Prints the WAPE tables and simulator results, then one JSON line
// comparing the selector's median WAPE with the best single baseline (last value / same time yesterday).
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backtestFile } from '../src/cli/commands/forecast.ts';
import { formatTable, summarize } from '../src/forecast/report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.env.FLEETPLANE_TRACES_DIR ?? join(here, '..', '..', 'shared', 'data', 'traces', 'crane'));
const files = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
if (files.length === 0) throw new Error(`forecast bench: no *.csv traces in ${dir} (set FLEETPLANE_TRACES_DIR)`);

const reports = files.map((f) => backtestFile(join(dir, f), [5 * 60, 15 * 60, 30 * 60]));
const summary = summarize(reports);
console.log(formatTable(reports, summary));

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const sel = (h: number): number => summary.medianWape[h]!.selector!;
const base = (h: number): { name: string; wape: number } => summary.bestBaseline[h]!;
const sim = summary.simulation;
console.log(JSON.stringify({
  bench: 'forecast',
  metric: 'median_wape_15m_selector',
  value: r4(sel(15)),
  unit: 'WAPE (fraction)',
  baseline: `best single baseline (${base(15).name})`,
  baseline_value: r4(base(15).wape),
  ratio: r4(sel(15) / base(15).wape),
  traces: files.length,
  median_wape_5m_selector: r4(sel(5)), baseline_5m: base(5).name, baseline_5m_value: r4(base(5).wape),
  median_wape_30m_selector: r4(sel(30)), baseline_30m: base(30).name, baseline_30m_value: r4(base(30).wape),
  ratio_30m: r4(sel(30) / base(30).wape),
  over_capacity_minutes_reactive: sim.reactiveOver, over_capacity_minutes_predictive: sim.predictiveOver,
  over_capacity_ratio: r4(sim.overRatio),
  replica_minutes_reactive: sim.reactiveReplicaMinutes, replica_minutes_predictive: sim.predictiveReplicaMinutes,
  replica_minutes_ratio: r4(sim.costRatio),
}));
