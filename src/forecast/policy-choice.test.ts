import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BacktestResult } from './backtest.ts';
import { strategyKey, type PrescalePolicy } from './capacity.ts';
import { choosePolicy, type TraceRun } from './evaluation.ts';
import { DEFAULT_CONFIG } from './selector.ts';
import type { SimResult } from './simulator.ts';

const sim = (over: number, replicaMinutes: number): SimResult => ({ overCapacityMinutes: over, sloViolationMinutes: over, replicaMinutes, peakReplicas: 1, lowestReplicas: 1, minutes: 100 });
const policies: PrescalePolicy[] = [{ name: 'safe', quantile: 0.9, cooldownMinutes: 15 }, { name: 'lean', quantile: 0.5, cooldownMinutes: 5 }, { name: 'mid', price: 4, cooldownMinutes: 10 }];
const run = (p: Record<string, SimResult>): TraceRun => ({
  file: 't.csv',
  result: { simulation: { reactive: sim(100, 1000), predictive: Object.fromEntries(Object.entries(p).map(([k, v]) => [strategyKey(DEFAULT_CONFIG.name, k), v])) } } as unknown as BacktestResult,
});

describe('pre-scale policy choice on tuning traces', () => {
  it('goal rule: takes the cheapest policy that keeps over-capacity minutes at most 40% of reactive HPA', () => {
    const r = run({ safe: sim(20, 1300), lean: sim(70, 1010), mid: sim(38, 1080) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies, 'goal').name, 'mid');
  });
  it('goal rule: falls back to the fewest over-capacity minutes when none reaches the goal', () => {
    const r = run({ safe: sim(45, 1300), lean: sim(70, 1010), mid: sim(60, 1080) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies, 'goal').name, 'safe');
  });
  it('cost-cap rule (default): the fewest over-capacity minutes among policies within +10% replica-minutes', () => {
    // safe cuts most but costs +30%; mid (+8%) cuts more than lean (+1%): mid, even though it misses the 40% goal.
    const r = run({ safe: sim(20, 1300), lean: sim(70, 1010), mid: sim(45, 1080) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies).name, 'mid');
    // The cap is pooled over the tuning traces: a second trace where mid is expensive pushes it over +10%.
    const r2 = run({ safe: sim(20, 1300), lean: sim(70, 1010), mid: sim(45, 1150) });
    assert.equal(choosePolicy([r, r2], DEFAULT_CONFIG, policies).name, 'lean');
  });
  it('cost-cap rule: the cheapest policy when none stays within the cap', () => {
    const r = run({ safe: sim(20, 1300), lean: sim(70, 1150), mid: sim(45, 1200) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies, 'cost-cap').name, 'lean');
  });
});
