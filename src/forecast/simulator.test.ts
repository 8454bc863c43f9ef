import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, type ScalingBounds } from './policy.ts';
import { HPA_DEFAULTS, simulate, type SimOptions } from './simulator.ts';

const opts: SimOptions = { ...HPA_DEFAULTS, capacity: 10, startup: 3, minReplicas: 1, maxReplicas: 50 };

describe('capacity simulator', () => {
  it('constant load: never over capacity, replica-minutes = pods × minutes', () => {
    const load = new Float64Array(120).fill(35);
    const r = simulate(load, 0, 120, opts);
    assert.equal(r.overCapacityMinutes, 0);
    assert.equal(r.replicaMinutes, 5 * 120); // ceil(35 / (10 × 0.7)) = 5
  });

  it('a step up hurts reactive-only for about the start-up delay; an oracle minReplicas avoids it', () => {
    const load = Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? 20 : 120));
    const reactive = simulate(load, 0, 200, opts);
    assert.ok(reactive.overCapacityMinutes >= opts.startup, `reactive over ${reactive.overCapacityMinutes}`);
    const oracle = simulate(load, 0, 200, opts, (t) => (t >= 100 - opts.startup - 1 ? 18 : 0));
    assert.equal(oracle.overCapacityMinutes, 0);
    assert.ok(oracle.replicaMinutes >= reactive.replicaMinutes);
  });

  it('keeps invariants on a noisy trace: bounded replicas, over-capacity within minutes', () => {
    const load = Float64Array.from({ length: 500 }, (_, i) => 100 + 80 * Math.sin(i / 17) + ((i * 37) % 23));
    for (const floor of [0, 5, 30]) {
      const r = simulate(load, 0, 500, { ...opts, maxReplicas: 40 }, () => floor);
      assert.ok(r.peakReplicas <= 40);
      assert.ok(r.overCapacityMinutes <= r.minutes);
      // The floor applies from the first decision on (pods created at minute t are paid from t + 1).
      assert.ok(r.replicaMinutes >= (r.minutes - 1) * Math.min(40, Math.max(1, floor)));
    }
  });
});

describe('scaling policy', () => {
  const b: ScalingBounds = { floor: 2, ceiling: 10, capacityPerPod: 100, cooldownMinutes: 10, hysteresis: 0.25 };

  const cases: Array<[string, number, { current: number; lastNeededAt: number }, number, string, number]> = [
    ['raises at once', 550, { current: 2, lastNeededAt: 0 }, 5, 'raise', 6],
    ['clamps to the ceiling', 5000, { current: 2, lastNeededAt: 0 }, 5, 'raise', 10],
    ['never below the floor', 10, { current: 2, lastNeededAt: 0 }, 5, 'noop', 2],
    ['holds during cool-down', 150, { current: 6, lastNeededAt: 0 }, 5, 'hold', 6],
    ['releases after cool-down', 150, { current: 6, lastNeededAt: 0 }, 20, 'release', 2],
    ['hysteresis ignores a tiny decrease', 850, { current: 10, lastNeededAt: 0 }, 20, 'hold', 10],
    ['non-finite forecast goes to the floor', Number.NaN, { current: 2, lastNeededAt: 0 }, 5, 'noop', 2],
  ];
  for (const [name, upper, state, now, action, min] of cases) {
    it(name, () => {
      const d = decide(upper, state, now, b);
      assert.equal(d.action, action, d.reason);
      assert.equal(d.minReplicas, min);
      assert.ok(d.minReplicas >= b.floor && d.minReplicas <= b.ceiling);
    });
  }
});

describe('SLO-violation minutes and the capacity rule', () => {
  it('a burst leaves a backlog: SLO violations last until it has drained', () => {
    // 2 pods of 10 at first; a 3-minute burst of 60 queues work that is served late.
    const load = Float64Array.from({ length: 60 }, (_, i) => (i >= 10 && i < 13 ? 60 : 5));
    const r = simulate(load, 0, 60, { ...opts, minReplicas: 2, maxReplicas: 2 });
    assert.equal(r.overCapacityMinutes, 3);
    // Backlog 3 × (60 − 20) = 120, drained at 20 − 5 = 15 per minute: 8 more minutes.
    assert.equal(r.sloViolationMinutes, 3 + 8);
    assert.equal(r.lowestReplicas, 2);
  });

  it('capacity rule: the median load runs 4 pods at the 70% target, so a 10x load needs 10x the pods', async () => {
    const { capacityRule, REFERENCE_REPLICAS } = await import('./capacity.ts');
    const history = Float64Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1000 : 100));
    const c = capacityRule(history);
    assert.ok(Math.abs(c.value - 100 / (REFERENCE_REPLICAS * 0.7)) < 1e-9, c.rule);
    const r = simulate(Float64Array.from({ length: 200 }, (_, i) => (i < 100 ? 100 : 1000)), 0, 200, { ...opts, capacity: c.value, maxReplicas: 1000 });
    assert.equal(r.lowestReplicas, 4);
    assert.ok(r.peakReplicas >= 40, `peak ${r.peakReplicas}`);
  });
});
