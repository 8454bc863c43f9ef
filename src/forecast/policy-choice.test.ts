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
  it('takes the cheapest policy that keeps over-capacity minutes at most 40% of reactive HPA', () => {
    const r = run({ safe: sim(20, 1300), lean: sim(70, 1010), mid: sim(38, 1080) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies).name, 'mid');
  });
  it('falls back to the fewest over-capacity minutes when none reaches the goal', () => {
    const r = run({ safe: sim(45, 1300), lean: sim(70, 1010), mid: sim(60, 1080) });
    assert.equal(choosePolicy([r], DEFAULT_CONFIG, policies).name, 'safe');
  });
});
