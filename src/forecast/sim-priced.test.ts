import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POLICY_QUANTILES, simBounds, simOptions, simulatePolicy } from './capacity.ts';
import { fitCandidates } from './candidates.ts';
import { chooseForecaster, DEFAULT_CONFIG } from './selector.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/** Daily shape with short bursts (×2 for 6 minutes, every 30-60 minutes) at random times: the reactive HPA runs short in them. */
function bursty(days: number): Float64Array {
  const r = lcg(11);
  const v = Float64Array.from({ length: days * 1440 }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * (i % 1440)) / 1440) + 10 * r());
  for (let b = 60; b + 10 < v.length; b += 30 + Math.floor(30 * (r() + 0.5))) for (let k = 0; k < 6; k++) v[b + k]! *= 2;
  return v;
}

describe('simulation-priced pre-scale quantile (per series, on its own validation window)', () => {
  const v = bursty(6);
  const T = v.length;
  const set = fitCandidates(v, { horizons: [5, 15], leadTime: 5, fitEnd: T });
  const f = chooseForecaster(set, { config: DEFAULT_CONFIG, quantile: 0.9 });
  const capacity = 100 / (4 * 0.7);
  const sim = simOptions(60, 3, capacity);
  const bounds = simBounds(60, capacity, 15);
  // The same replay the forecaster runs, from outside: validation origins every 4 points, bound held in between.
  const replay = (q: number) => {
    const o = set.origins;
    const ups = o.map((t) => f.upperAt(t, q));
    return simulatePolicy(v, [o[0]!, o[o.length - 1]! + 4], sim, bounds, (t) => ups[Math.min(o.length - 1, Math.floor((t - o[0]!) / 4))]!);
  };

  it('with no price on over-capacity it takes the quantile with the fewest replica-minutes', () => {
    const q = f.quantileBySim(0, sim, bounds, POLICY_QUANTILES);
    const cheapest = Math.min(...POLICY_QUANTILES.map((x) => replay(x).replicaMinutes));
    assert.equal(replay(q).replicaMinutes, cheapest);
  });

  it('with a high price it takes the quantile with the fewest over-capacity minutes, and a higher one than with no price', () => {
    const rs = POLICY_QUANTILES.map((x) => replay(x));
    // The trade-off exists on this series: more quantile, fewer over-capacity minutes, more pods.
    assert.ok(rs[0]!.overCapacityMinutes > rs[rs.length - 1]!.overCapacityMinutes, JSON.stringify(rs.map((r) => r.overCapacityMinutes)));
    assert.ok(rs[0]!.replicaMinutes < rs[rs.length - 1]!.replicaMinutes);
    const qHigh = f.quantileBySim(1e6, sim, bounds, POLICY_QUANTILES);
    const fewest = Math.min(...rs.map((r) => r.overCapacityMinutes));
    assert.equal(replay(qHigh).overCapacityMinutes, fewest);
    assert.ok(qHigh > f.quantileBySim(0, sim, bounds, POLICY_QUANTILES));
  });

  it('at every price the choice minimises replica-minutes + price × over-capacity minutes on the replay', () => {
    for (const price of [10, 50, 200, 1000]) {
      const q = f.quantileBySim(price, sim, bounds, POLICY_QUANTILES);
      const cost = (x: number): number => { const r = replay(x); return r.replicaMinutes + price * r.overCapacityMinutes; };
      for (const x of POLICY_QUANTILES) assert.ok(cost(q) <= cost(x) + 1e-6, `price ${price}: q ${q} ${cost(q)} vs ${x} ${cost(x)}`);
    }
  });
});
