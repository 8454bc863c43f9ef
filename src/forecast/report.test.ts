import { PRESCALE_POLICIES, strategyKey } from './capacity.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectorName, SIMPLE_SELECTOR, type BacktestResult, type Scores } from './backtest.ts';
import { bestBaseline, bootstrapGain, leaveTracesOut, median, wapeOf, type TraceRun } from './evaluation.ts';
import { formatTable, summarize } from './report.ts';
import { BASELINE_NAMES, SELECTOR_CONFIGS } from './selector.ts';
import type { SimResult } from './simulator.ts';

const DAYS = 4;
const sim = (over: number, cost: number): SimResult => ({ overCapacityMinutes: over, sloViolationMinutes: 2 * over, replicaMinutes: cost, peakReplicas: 9, lowestReplicas: 2, minutes: 100 });
const sc = (errPerDay: number, windows = 100, covered = 90): Scores => ({ err: [new Array(DAYS).fill(errPerDay)], windows, covered, pinball: 10 });

/** A fake backtest of one horizon (15 min): every day has |actual| = 100, so WAPE = err per day / 100. */
function result(errs: Record<string, number>): BacktestResult {
  const scores: Record<string, Scores> = {};
  for (const [n, e] of Object.entries(errs)) scores[n] = sc(e);
  for (const n of BASELINE_NAMES) { scores[n] ??= sc(50); scores[`${n}@absolute`] = sc(0); scores[`${n}@scaled`] = sc(0); }
  for (const c of SELECTOR_CONFIGS) scores[selectorName(c)] ??= sc(errs.selector ?? 40);
  scores[SIMPLE_SELECTOR] ??= sc(45);
  return {
    points: 1000, stepSeconds: 60, testFrom: 700, testDays: DAYS, origins: 60, period: 1440, horizons: [{ points: 15, minutes: 15 }],
    actual: [new Array(DAYS).fill(100)], actualMaxSum: 1000, quantile: 0.9, scores, refits: DAYS,
    chosen: Object.fromEntries(SELECTOR_CONFIGS.map((c) => [c.name, [{ chosen: { mlp: 3, ridge: 1 }, members: {} }]])),
    simulation: { capacity: 1, capacityRule: 'test', startupMinutes: 3, leadTimeMinutes: 5, reactive: sim(10, 100), schedule: sim(8, 105), predictive: Object.fromEntries(SELECTOR_CONFIGS.flatMap((c) => PRESCALE_POLICIES.map((p) => [strategyKey(c.name, p.name), sim(3, 108)]))) },
  };
}

describe('evaluation', () => {
  it('median of finite values', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('the strongest simple baseline is chosen per trace among all five', () => {
    const r = result({ last_value: 30, seasonal_naive_level: 20, recent_mean: 25 });
    assert.deepEqual(bestBaseline(r, 0), { name: 'seasonal_naive_level', wape: 0.2 });
    assert.equal(wapeOf(r, 'last_value', 0), 0.3);
  });

  it('paired block bootstrap: a uniform gain has a tight interval, a one-day gain a wide one', () => {
    const even = bootstrapGain([8, 8, 8, 8, 8, 8, 8], [10, 10, 10, 10, 10, 10, 10], 1);
    assert.ok(Math.abs(even.gain - 0.2) < 1e-12 && Math.abs(even.lo - 0.2) < 1e-12 && Math.abs(even.hi - 0.2) < 1e-12);
    const lumpy = bootstrapGain([10, 10, 10, 10, 10, 10, 1], [10, 10, 10, 10, 10, 10, 10], 1);
    assert.ok(lumpy.lo < 0.05 && lumpy.hi > 0.2, JSON.stringify(lumpy));
    assert.deepEqual(bootstrapGain([1, 2], [2, 4], 7), bootstrapGain([1, 2], [2, 4], 7), 'seeded');
  });

  it('leave-traces-out: a held-out trace never influences the config it is reported with', () => {
    const [a, b] = SELECTOR_CONFIGS;
    // Config a is better on traces 0-2, b better on trace 3.
    const mk = (ea: number, eb: number): BacktestResult => result({ [selectorName(a!)]: ea, [selectorName(b!)]: eb });
    const runs: TraceRun[] = [mk(20, 30), mk(20, 30), mk(20, 30), mk(30, 20)].map((result, i) => ({ file: `t${i}.csv`, result }));
    const ev = leaveTracesOut(runs, 4, b!);
    assert.deepEqual(ev.traces.map((t) => t.config.name), [a!.name, a!.name, a!.name, a!.name]);
    // Trace 3 is reported with a (chosen on 0-2), although b would have been better for it in hindsight.
    assert.equal(ev.traces[3]!.horizons[0]!.selector, 0.3);
    // Making trace 3 love config a even more changes nothing for trace 3's own config.
    const runs2 = runs.map((r, i) => (i === 3 ? { ...r, result: mk(5, 10) } : r));
    assert.equal(leaveTracesOut(runs2, 4, b!).traces[3]!.config.name, a!.name);
    // One trace: nothing to hold out, reported with the fallback.
    assert.equal(leaveTracesOut(runs.slice(0, 1), 4, b!).traces[0]!.config.name, b!.name);
  });

  it('summarizes gains, coverage, neural share and simulator totals, and prints them', () => {
    const runs: TraceRun[] = [10, 20, 30].map((e, i) => ({ file: `t${i}.csv`, result: result({ selector: e, last_value: 40, mlp: e + 1 }) }));
    const ev = leaveTracesOut(runs, 3, SELECTOR_CONFIGS[0]!);
    const s = summarize(ev);
    const h = s.horizons[0]!;
    assert.equal(h.minutes, 15);
    // Gains per trace vs the strongest baseline (last value 0.4): 0.75, 0.5, 0.25.
    assert.ok(Math.abs(h.medianGain - 0.5) < 1e-12);
    assert.equal(h.significantWins, 3);
    assert.equal(s.neural.chosenAlone, 0.75);
    assert.equal(s.quantile.pooledCoverage, 0.9);
    assert.deepEqual(s.simulation.reactive, { over: 30, slo: 60, replicaMinutes: 300 });
    assert.ok(Math.abs(s.simulation.overRatio - 0.3) < 1e-12);
    const table = formatTable(ev, s);
    assert.match(table, /^t0\.csv/m);
    assert.match(table, /leave-traces-out: 3 folds/);
    assert.match(table, /15m: median gain over the strongest simple baseline \(per trace, hindsight\) \+50\.0%/);
  });
});
