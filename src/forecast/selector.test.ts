import { PRESCALE_POLICIES, strategyKey } from './capacity.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backtest, selectorName } from './backtest.ts';
import { wapeOf } from './evaluation.ts';
import { convexWeights, DEFAULT_CONFIG, fitForecaster } from './selector.ts';

// Deterministic noise (no Math.random in tests of the pure core either).
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

function daily(days: number, noise: number, seed = 1): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: days * 1440 }, (_, i) => {
    const phase = (2 * Math.PI * (i % 1440)) / 1440;
    return 100 + 60 * Math.sin(phase) + 25 * Math.sin(3 * phase) + noise * r();
  });
}

function randomWalk(n: number, seed = 7): Float64Array {
  const r = lcg(seed);
  const v = new Float64Array(n);
  v[0] = 500;
  for (let i = 1; i < n; i++) v[i] = Math.max(1, v[i - 1]! + 3 * r());
  return v;
}

const SEASONAL = new Set(['same_time_yesterday', 'seasonal_naive', 'seasonal_naive_level', 'holt_winters', 'ridge', 'mlp', 'ensemble']);

describe('forecaster on synthetic series', () => {
  it('detects the daily season and recovers the pattern far better than last value at 30 min', () => {
    const v = daily(8, 4);
    const r = backtest(v, { horizons: [5, 30], testDays: 2, configs: [DEFAULT_CONFIG] });
    assert.equal(r.period, 1440);
    const w = (name: string): number => wapeOf(r, name, 1);
    assert.ok(w(selectorName(DEFAULT_CONFIG)) < 0.5 * w('last_value'), `${w(selectorName(DEFAULT_CONFIG))} vs ${w('last_value')}`);
    for (const m of ['seasonal_naive', 'holt_winters', 'ridge', 'mlp']) assert.ok(w(m) < 0.5 * w('last_value'), `${m}: ${w(m)} vs ${w('last_value')}`);
  });

  it('picks a seasonal model on an exactly periodic series and reproduces it', () => {
    const v = daily(6, 0);
    const f = fitForecaster(v, { horizons: [15, 30], leadTime: 5 });
    for (const h of [15, 30]) {
      const name = f.choice.get(h)!;
      assert.ok(SEASONAL.has(name), `h=${h} chose ${name}`);
      const scores = f.validation;
      for (const [other, s] of scores) assert.ok(scores.get(name)!.get(h)! <= s.get(h)!, `${name} vs ${other}`);
    }
    // Forecast from the last point 30 minutes ahead equals the pattern's next value.
    const t = v.length - 1;
    const expected = v[t + 30 - 1440]!;
    assert.ok(Math.abs(f.predict(t, 30) - expected) < 0.02 * 100, `${f.predict(t, 30)} vs ${expected}`);
  });

  it('finds no season in a random walk and does not choose a seasonal copy', () => {
    const v = randomWalk(6 * 1440);
    const f = fitForecaster(v, { horizons: [15], leadTime: 5 });
    assert.equal(f.ctx.period, 0);
    assert.ok(!['seasonal_naive', 'seasonal_naive_level', 'holt_winters', 'same_time_yesterday'].includes(f.choice.get(15)!), f.choice.get(15));
  });

  it('the window upper bound covers the realised maximum about as often as the quantile says', () => {
    const v = daily(8, 20, 3);
    const T = 7 * 1440;
    const f = fitForecaster(v, { horizons: [5], leadTime: 5, fitEnd: T, quantile: 0.9 });
    let covered = 0, total = 0;
    for (let t = T; t + 5 < v.length; t += 3) {
      let max = -Infinity;
      for (let k = 1; k <= 5; k++) max = Math.max(max, v[t + k]!);
      if (f.window(t).upper >= max) covered++;
      total++;
    }
    const rate = covered / total;
    assert.ok(rate > 0.8 && rate < 0.98, `coverage ${rate}`);
  });
});

describe('backtest at other steps', () => {
  it('reports simulator minutes in real minutes for a 5-minute trace', () => {
    const day = 288;
    const v = Float64Array.from({ length: 8 * day }, (_, i) => 100 + 60 * Math.sin((2 * Math.PI * i) / day));
    const r = backtest(v, { horizons: [1, 3], day, stepSeconds: 300, testDays: 2, configs: [DEFAULT_CONFIG] });
    assert.equal(r.period, day);
    assert.deepEqual(r.horizons.map((h) => h.minutes), [5, 15]);
    assert.equal(r.simulation.reactive.minutes, (v.length - r.testFrom) * 5);
    assert.equal(r.simulation.startupMinutes, 5); // 3 minutes rounds to one 5-minute point
    assert.ok(r.simulation.predictive[strategyKey(DEFAULT_CONFIG.name, PRESCALE_POLICIES[0]!.name)]!.replicaMinutes % 5 === 0);
  });
});

describe('convex ensemble weights (cvx configs)', () => {
  it('finds the blend of two biased forecasts that cancels their errors, from the validation origins only', () => {
    const n = 400;
    const raw = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 7));
    const origins = Array.from({ length: 300 }, (_, i) => i);
    const h = 5;
    // One forecast 20 too high, one 20 too low: 0.5/0.5 is exact; a third, noisy one gets no weight.
    const hi = Float64Array.from(origins, (t) => raw[t + h]! + 20);
    const lo = Float64Array.from(origins, (t) => raw[t + h]! - 20);
    const noisy = Float64Array.from(origins, (t) => raw[t + h]! + (t % 2 ? 30 : -30));
    const w = convexWeights(raw, origins, h, [hi, lo, noisy]);
    assert.deepEqual(w.map((x) => Math.round(x * 10) / 10), [0.5, 0.5, 0]);
    // A single good member keeps all the weight.
    const exact = Float64Array.from(origins, (t) => raw[t + h]!);
    assert.deepEqual(convexWeights(raw, origins, h, [hi, exact]).map((x) => Math.round(x * 10) / 10), [0, 1]);
  });
});
