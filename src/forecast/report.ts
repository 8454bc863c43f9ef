// Summaries of a leave-traces-out evaluation (pure), shared by `fleetplane forecast backtest` and the
// forecast benchmark so both print the same numbers.
import { median, type Evaluation, type TraceReport } from './evaluation.ts';
import { BASELINE_NAMES } from './selector.ts';
import type { SimResult } from './simulator.ts';

export { median };

interface Totals { over: number; slo: number; replicaMinutes: number }

export interface Summary {
  horizons: Array<{
    minutes: number;
    /** Median over traces of 1 − selector/strongest simple baseline (chosen per trace in hindsight). */
    medianGain: number;
    /** Median over traces of 1 − selector/simple selector (past-only choice among the simple baselines). */
    medianGainVsSimpleSelector: number;
    /** Traces whose 95% bootstrap interval lies entirely above 0 / below 0. */
    significantWins: number;
    significantLosses: number;
    medianWape: Record<string, number>;
    /** The single simple baseline with the lowest median WAPE across traces, and that median. */
    singleBaseline: { name: string; wape: number };
  }>;
  quantile: {
    q: number;
    medianCoverage: number;
    pooledCoverage: number;
    simpleSelectorPooledCoverage: number;
    bestBaselinePooledCoverage: number;
    medianPinball: number;
    simpleSelectorMedianPinball: number;
    bestBaselineMedianPinball: number;
  };
  neural: { chosenAlone: number; inEnsemble: number; medianWape: Record<number, number>; pooledCoverage: number };
  simulation: {
    reactive: Totals; predictive: Totals; schedule: Totals; overRatio: number; costRatio: number; sloRatio: number; scheduleOverRatio: number; scheduleCostRatio: number;
    /** The pre-scaler with the API's default policy (q = 0.9, 15-minute cool-down) instead of the one chosen on the tuning traces. */
    predictiveDefault: Totals; defaultOverRatio: number; defaultCostRatio: number;
    /** Medians over traces of the per-trace ratios (pre-scaler ÷ reactive): a trace with many pods does not dominate. */
    medianOverRatio: number; medianCostRatio: number;
  };
}

const totals = (rs: SimResult[]): Totals => ({
  over: rs.reduce((s, r) => s + r.overCapacityMinutes, 0),
  slo: rs.reduce((s, r) => s + r.sloViolationMinutes, 0),
  replicaMinutes: rs.reduce((s, r) => s + r.replicaMinutes, 0),
});

const ratio = (a: number, b: number): number => (b > 0 ? a / b : a > 0 ? Infinity : 1);

function pooled(ts: TraceReport[], pick: (t: TraceReport) => { coverage: number; windows: number }): number {
  let c = 0, w = 0;
  for (const t of ts) { const q = pick(t); if (q.windows > 0) { c += q.coverage * q.windows; w += q.windows; } }
  return w > 0 ? c / w : Number.NaN;
}

export function summarize(ev: Evaluation): Summary {
  const ts = ev.traces;
  const hs = ts[0]?.horizons.map((h) => h.minutes) ?? [];
  const horizons = hs.map((minutes, hi) => {
    const rows = ts.map((t) => t.horizons[hi]!);
    const names = [...new Set(rows.flatMap((r) => Object.keys(r.wape)))];
    const medianWape: Record<string, number> = { selector: median(rows.map((r) => r.selector)), strongest_baseline: median(rows.map((r) => r.baseline.wape)) };
    for (const n of names) medianWape[n] = median(rows.map((r) => r.wape[n] ?? Number.NaN));
    const single = BASELINE_NAMES.map((n) => ({ name: n, wape: medianWape[n] ?? Infinity })).sort((a, b) => a.wape - b.wape)[0]!;
    return {
      minutes, medianGain: median(rows.map((r) => r.gain.gain)), medianGainVsSimpleSelector: median(rows.map((r) => 1 - r.selector / r.simpleSelector)),
      significantWins: rows.filter((r) => r.gain.lo > 0).length, significantLosses: rows.filter((r) => r.gain.hi < 0).length,
      medianWape, singleBaseline: single,
    };
  });
  const choices = ts.reduce((s, t) => s + t.neural.choices, 0);
  const sim = {
    reactive: totals(ts.map((t) => t.simulation.reactive)), predictive: totals(ts.map((t) => t.simulation.predictive)), schedule: totals(ts.map((t) => t.simulation.schedule)),
    predictiveDefault: totals(ts.map((t) => t.simulation.predictiveDefault)),
  };
  return {
    horizons,
    quantile: {
      q: ts[0]?.quantile.q ?? 0.9,
      medianCoverage: median(ts.map((t) => t.quantile.selector.coverage)),
      pooledCoverage: pooled(ts, (t) => t.quantile.selector),
      simpleSelectorPooledCoverage: pooled(ts, (t) => t.quantile.simpleSelector),
      bestBaselinePooledCoverage: pooled(ts, (t) => t.quantile.bestBaseline),
      medianPinball: median(ts.map((t) => t.quantile.selector.pinball)),
      simpleSelectorMedianPinball: median(ts.map((t) => t.quantile.simpleSelector.pinball)),
      bestBaselineMedianPinball: median(ts.map((t) => t.quantile.bestBaseline.pinball)),
    },
    neural: {
      chosenAlone: choices ? ts.reduce((s, t) => s + t.neural.chosenAlone * t.neural.choices, 0) / choices : 0,
      inEnsemble: choices ? ts.reduce((s, t) => s + t.neural.inEnsemble * t.neural.choices, 0) / choices : 0,
      medianWape: Object.fromEntries(horizons.map((h) => [h.minutes, h.medianWape.mlp ?? Number.NaN])),
      pooledCoverage: pooled(ts, (t) => t.quantile.models.mlp ?? { coverage: Number.NaN, windows: 0 }),
    },
    simulation: {
      ...sim,
      overRatio: ratio(sim.predictive.over, sim.reactive.over), costRatio: ratio(sim.predictive.replicaMinutes, sim.reactive.replicaMinutes),
      sloRatio: ratio(sim.predictive.slo, sim.reactive.slo),
      scheduleOverRatio: ratio(sim.schedule.over, sim.reactive.over), scheduleCostRatio: ratio(sim.schedule.replicaMinutes, sim.reactive.replicaMinutes),
      defaultOverRatio: ratio(sim.predictiveDefault.over, sim.reactive.over), defaultCostRatio: ratio(sim.predictiveDefault.replicaMinutes, sim.reactive.replicaMinutes),
      medianOverRatio: median(ts.map((t) => ratio(t.simulation.predictive.overCapacityMinutes, t.simulation.reactive.overCapacityMinutes))),
      medianCostRatio: median(ts.map((t) => ratio(t.simulation.predictive.replicaMinutes, t.simulation.reactive.replicaMinutes))),
    },
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');
const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%` : '-');
const simLine = (label: string, r: SimResult): string =>
  `    ${label.padEnd(22)} over-capacity ${r.overCapacityMinutes} min, SLO-violation ${r.sloViolationMinutes} min, replica-min ${r.replicaMinutes} (pods ${r.lowestReplicas}-${r.peakReplicas})`;

function traceBlock(t: TraceReport): string[] {
  const lines: string[] = [];
  lines.push(`${t.file}  (${t.points} points at ${t.stepSeconds}s, season ${t.period ? `${(t.period * t.stepSeconds) / 3600}h` : 'none'}, test ${t.testDays} days, ${t.origins} origins; fold ${t.fold}, config ${t.config.name} chosen on the other folds)`);
  lines.push(['  model'.padEnd(24), ...t.horizons.map((h) => `WAPE@${h.minutes}m`.padStart(11))].join(''));
  const names = ['selector', 'simple_selector', ...Object.keys(t.horizons[0]!.wape).filter((n) => n !== 'simple_selector')];
  for (const n of names) {
    const vals = t.horizons.map((h) => (n === 'selector' ? h.selector : n === 'simple_selector' ? h.simpleSelector : h.wape[n]!));
    lines.push([`  ${n}`.padEnd(24), ...vals.map((v) => pct(v).padStart(11))].join(''));
  }
  lines.push(`  strongest simple baseline (hindsight) and gain [95% block-bootstrap CI over days]: ${t.horizons.map((h) => `${h.minutes}m ${h.baseline.name} ${signed(h.gain.gain)} [${signed(h.gain.lo)}, ${signed(h.gain.hi)}]`).join('; ')}`);
  lines.push(`  chosen per horizon (refits): ${t.choices.map((c, i) => `${t.horizons[i]?.minutes ?? '?'}m ${Object.entries(c).map(([k, v]) => `${k}×${v}`).join(' ')}`).join('; ')}`);
  lines.push(`  neural: chosen alone ${pct(t.neural.chosenAlone)}% of choices, in a chosen ensemble ${pct(t.neural.inEnsemble)}%`);
  const q = t.quantile;
  lines.push(`  upper bound q=${q.q} over the lead time: coverage ${pct(q.selector.coverage)}%, pinball ${pct(q.selector.pinball)}% | simple selector ${pct(q.simpleSelector.coverage)}%, ${pct(q.simpleSelector.pinball)}% | best baseline bound (${q.bestBaseline.name}) ${pct(q.bestBaseline.coverage)}%, ${pct(q.bestBaseline.pinball)}%`);
  const s = t.simulation;
  lines.push(`  simulator (pod capacity ${s.capacity.toPrecision(3)}: ${s.capacityRule})`);
  lines.push(simLine('reactive HPA', s.reactive), simLine(`pre-scaler ${t.policy.name}`, s.predictive), simLine('pre-scaler q0.9/cd15', s.predictiveDefault), simLine('schedule (yesterday)', s.schedule), '');
  return lines;
}

/** Plain-text report: one block per trace, then the leave-traces-out summary. */
export function formatTable(ev: Evaluation, summary: Summary): string {
  const lines: string[] = ev.traces.flatMap(traceBlock);
  lines.push(`leave-traces-out: ${ev.folds.length} folds; ${ev.folds.map((f) => `fold ${f.fold} [${f.heldOut.join(', ')}] config ${f.config} policy ${f.policy}`).join('; ')}; all traces together would choose ${ev.configOnAll} and ${ev.policyOnAll}`);
  const hs = summary.horizons;
  lines.push(['median across traces'.padEnd(26), ...hs.map((h) => `WAPE@${h.minutes}m`.padStart(11))].join(''));
  for (const n of Object.keys(hs[0]?.medianWape ?? {})) lines.push([`  ${n}`.padEnd(26), ...hs.map((h) => pct(h.medianWape[n]!).padStart(11))].join(''));
  for (const h of hs) {
    lines.push(`${h.minutes}m: median gain over the strongest simple baseline (per trace, hindsight) ${signed(h.medianGain)}; over the past-only simple selector ${signed(h.medianGainVsSimpleSelector)}; traces significantly better ${h.significantWins}, worse ${h.significantLosses}; best single baseline by median ${h.singleBaseline.name} ${pct(h.singleBaseline.wape)}%`);
  }
  const q = summary.quantile;
  lines.push(`upper bound q=${q.q}: pooled coverage ${pct(q.pooledCoverage)}% (median ${pct(q.medianCoverage)}%), median pinball ${pct(q.medianPinball)}% | simple selector ${pct(q.simpleSelectorPooledCoverage)}%, ${pct(q.simpleSelectorMedianPinball)}% | best baseline bound ${pct(q.bestBaselinePooledCoverage)}%, ${pct(q.bestBaselineMedianPinball)}%`);
  const nn = summary.neural;
  lines.push(`neural model: chosen alone ${pct(nn.chosenAlone)}% of choices, in a chosen ensemble ${pct(nn.inEnsemble)}%; median WAPE ${Object.entries(nn.medianWape).map(([m, w]) => `${m}m ${pct(w)}%`).join(', ')}; its own bound's pooled coverage ${pct(nn.pooledCoverage)}%`);
  const s = summary.simulation;
  lines.push(`simulator total: over-capacity min reactive ${s.reactive.over} -> pre-scaler ${s.predictive.over} (x${s.overRatio.toFixed(3)}) / schedule ${s.schedule.over} (x${s.scheduleOverRatio.toFixed(3)}); SLO-violation min ${s.reactive.slo} -> ${s.predictive.slo} / ${s.schedule.slo}; replica-min ${s.reactive.replicaMinutes} -> ${s.predictive.replicaMinutes} (x${s.costRatio.toFixed(3)}) / ${s.schedule.replicaMinutes} (x${s.scheduleCostRatio.toFixed(3)}); per-trace medians: over-capacity x${s.medianOverRatio.toFixed(3)}, replica-min x${s.medianCostRatio.toFixed(3)}; with the default policy q0.9/cd15 instead: over-capacity ${s.predictiveDefault.over} (x${s.defaultOverRatio.toFixed(3)}), replica-min ${s.predictiveDefault.replicaMinutes} (x${s.defaultCostRatio.toFixed(3)})`);
  return lines.join('\n');
}
