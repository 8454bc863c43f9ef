// Summaries over several backtested traces (pure), shared by `fleetplane forecast backtest` and the
// forecast benchmark so both print the same numbers.
import { SELECTOR, type BacktestResult } from './backtest.ts';
import { BASELINES } from './selector.ts';

export interface TraceReport { file: string; result: BacktestResult }

export interface Summary {
  /** Median WAPE across traces per horizon and model name. */
  medianWape: Record<number, Record<string, number>>;
  /** Per horizon: the baseline with the lowest median WAPE. */
  bestBaseline: Record<number, { name: string; wape: number }>;
  /** Summed over traces. */
  simulation: { reactiveOver: number; predictiveOver: number; reactiveReplicaMinutes: number; predictiveReplicaMinutes: number; overRatio: number; costRatio: number };
}

export function median(xs: number[]): number {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (a.length === 0) return Number.NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

export function summarize(reports: readonly TraceReport[]): Summary {
  const medianWape: Summary['medianWape'] = {};
  const bestBaseline: Summary['bestBaseline'] = {};
  const horizons = reports[0]?.result.horizons.map((h) => h.horizon) ?? [];
  for (const [hi, h] of horizons.entries()) {
    const names = new Set(reports.flatMap((r) => Object.keys(r.result.horizons[hi]!.wape)));
    const row: Record<string, number> = {};
    // A model missing on a trace (not applicable there) counts as the last-value baseline's error,
    // so a model that only runs on easy traces cannot look better than it is.
    for (const n of names) row[n] = median(reports.map((r) => r.result.horizons[hi]!.wape[n] ?? r.result.horizons[hi]!.wape.last_value!));
    medianWape[h] = row;
    const best = BASELINES.map((b) => ({ name: b.name, wape: row[b.name] ?? Infinity })).sort((a, b) => a.wape - b.wape)[0]!;
    bestBaseline[h] = best;
  }
  const sum = (f: (r: BacktestResult) => number): number => reports.reduce((s, r) => s + f(r.result), 0);
  const reactiveOver = sum((r) => r.simulation.reactive.overCapacityMinutes);
  const predictiveOver = sum((r) => r.simulation.predictive.overCapacityMinutes);
  const reactiveReplicaMinutes = sum((r) => r.simulation.reactive.replicaMinutes);
  const predictiveReplicaMinutes = sum((r) => r.simulation.predictive.replicaMinutes);
  return {
    medianWape, bestBaseline,
    simulation: {
      reactiveOver, predictiveOver, reactiveReplicaMinutes, predictiveReplicaMinutes,
      overRatio: reactiveOver > 0 ? predictiveOver / reactiveOver : 1,
      costRatio: reactiveReplicaMinutes > 0 ? predictiveReplicaMinutes / reactiveReplicaMinutes : 1,
    },
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/** Plain-text table: one block per trace (rows = models, columns = horizons), then the medians. */
export function formatTable(reports: readonly TraceReport[], summary: Summary): string {
  const lines: string[] = [];
  const block = (title: string, hs: number[], rows: Map<string, number[]>): void => {
    lines.push(title);
    lines.push(['model'.padEnd(22), ...hs.map((h) => `WAPE@${h}m`.padStart(10))].join(''));
    for (const [name, vals] of rows) lines.push([name.padEnd(22), ...vals.map((v) => pct(v).padStart(10))].join(''));
  };
  for (const r of reports) {
    const hs = r.result.horizons.map((h) => h.horizon);
    const names = [SELECTOR, ...new Set(r.result.horizons.flatMap((h) => Object.keys(h.wape)))].filter((n, i, a) => a.indexOf(n) === i);
    block(`${r.file}  (points ${r.result.points}, season ${r.result.period || 'none'}, origins ${r.result.origins})`, hs,
      new Map(names.map((n) => [n, r.result.horizons.map((h) => h.wape[n] ?? Number.NaN)])));
    lines.push(`  chosen: ${r.result.horizons.map((h) => `${h.horizon}m=${h.chosen.join('+')}`).join('  ')}`);
    const s = r.result.simulation;
    lines.push(`  simulator (pod capacity ${s.capacity.toPrecision(3)}, start-up ${s.startupMinutes}m, lead ${s.leadTimeMinutes}m): over-capacity min reactive ${s.reactive.overCapacityMinutes} vs predictive ${s.predictive.overCapacityMinutes}; replica-min ${s.reactive.replicaMinutes} vs ${s.predictive.replicaMinutes}`);
    lines.push('');
  }
  const hs = Object.keys(summary.medianWape).map(Number);
  const names = Object.keys(summary.medianWape[hs[0]!] ?? {});
  block('median across traces', hs, new Map(names.map((n) => [n, hs.map((h) => summary.medianWape[h]![n]!)])));
  const s = summary.simulation;
  lines.push(`simulator total: over-capacity minutes ${s.reactiveOver} -> ${s.predictiveOver} (x${s.overRatio.toFixed(3)}), replica-minutes ${s.reactiveReplicaMinutes} -> ${s.predictiveReplicaMinutes} (x${s.costRatio.toFixed(3)})`);
  return lines.join('\n');
}
