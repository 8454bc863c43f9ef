import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from './candidates.ts';
import { neural } from './models/neural.ts';
import { initMlp, train } from './nn/mlp.ts';
import { seededRandom } from './rng.ts';

// A daily pattern with a burst every day at 12:00-12:19 (+200 on a level of ~100): from 20 minutes
// before the burst, the last value says ~100; only the daily history says ~300.
function spiky(days: number, seed = 5): Float64Array {
  const rnd = seededRandom(seed);
  return Float64Array.from({ length: days * 1440 }, (_, i) => {
    const m = i % 1440;
    return 100 + 30 * Math.sin((2 * Math.PI * m) / 1440) + (m >= 720 && m < 740 ? 200 : 0) + 6 * (rnd() - 0.5);
  });
}

describe('neural forecaster (MLP)', () => {
  it('learns a daily burst that the last value cannot see coming', () => {
    const v = spiky(7);
    const fitEnd = 6 * 1440;
    const ctx = prepare(v, 1440, fitEnd);
    const m = neural.fit(ctx, fitEnd, [5, 15, 30]);
    const origin = fitEnd + 700; // 12:00 - 20 minutes on day 7
    for (const h of [30]) {
      const truth = v[origin + h]!;
      const last = v[origin]!;
      const nn = m.predict(origin, h);
      assert.ok(truth - last > 150, 'the burst is ahead');
      assert.ok(Math.abs(nn - truth) < 0.25 * Math.abs(last - truth), `h=${h}: mlp ${nn.toFixed(1)} truth ${truth.toFixed(1)} last ${last.toFixed(1)}`);
    }
    // Outside the burst it follows the ordinary daily curve.
    const calm = fitEnd + 300;
    assert.ok(Math.abs(m.predict(calm, 15) - v[calm + 15]!) < 15, `calm: ${m.predict(calm, 15)} vs ${v[calm + 15]}`);
  });

  it('is deterministic: the same series gives the same weights and forecasts', () => {
    const v = spiky(4, 9);
    const a = neural.fit(prepare(v, 1440, v.length), v.length, [5, 15]);
    const b = neural.fit(prepare(v, 1440, v.length), v.length, [5, 15]);
    for (const t of [3000, 4000, v.length - 1]) assert.equal(a.predict(t, 15), b.predict(t, 15));
  });

  it('warm start from a prior fit continues training instead of starting over', () => {
    const v = spiky(5, 11);
    const ctx = prepare(v, 1440, v.length);
    const prior = neural.fit(ctx, v.length - 1440, [5, 15]);
    const warm = neural.fit(ctx, v.length, [5, 15], { prior });
    const cold = neural.fit(ctx, v.length, [5, 15]);
    assert.notEqual(warm.predict(v.length - 1, 15), cold.predict(v.length - 1, 15));
    assert.ok(Number.isFinite(warm.predict(v.length - 1, 15)));
  });

  it('the MLP lowers its training loss on a learnable mapping', () => {
    const rnd = seededRandom(3);
    const rows = 400;
    const X = Float64Array.from({ length: rows * 2 }, () => 2 * rnd() - 1);
    const Y = Float64Array.from({ length: rows }, (_, r) => Math.sin(2 * X[2 * r]!) * X[2 * r + 1]!);
    const net = initMlp({ inputs: 2, hidden: 12, outputs: 1 }, 1);
    const losses = train(net, { X, Y, rows }, { epochs: 60, batch: 16, lr: 0.01, weightDecay: 0, delta: 1, seed: 1 });
    assert.ok(losses[losses.length - 1]! < 0.3 * losses[0]!, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  });
});
