import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from '../candidates.ts';
import { ridgeModel } from './ridge.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/**
 * Business hours (a step up at 09:00, down at 17:00, what a seasonal copy must anticipate) with noise that
 * persists for 20-minute blocks, fresh each day (one day's copy carries it, an average of days does not).
 */
function series(days: number, noise: number, seed: number): Float64Array {
  const r = lcg(seed);
  const blocks = Array.from({ length: days * 72 }, () => noise * r());
  return Float64Array.from({ length: days * 1440 }, (_, i) => {
    const minute = i % 1440;
    return 100 + (minute >= 540 && minute < 1020 ? 150 : 0) + blocks[Math.floor(i / 20)]! + 0.2 * noise * r();
  });
}

function mae(v: Float64Array, from: number, h: number, predict: (t: number, h: number) => number): number {
  let e = 0, n = 0;
  for (let t = from; t + h < v.length; t += 5) { e += Math.abs(v[t + h]! - predict(t, h)); n++; }
  return e / n;
}

describe('ridge: the multi-day profile feature', () => {
  it('lowers the 30-minute error on a noisy daily series once there are more than 3 days of history (A/B on 3 seeds)', () => {
    for (const seed of [3, 11, 29]) {
      const v = series(8, 80, seed);
      const T = 7 * 1440;
      const ctx = prepare(v, 1440, T);
      const withProfile = ridgeModel({ profile: true }).fit(ctx, T, [15, 30]);
      const without = ridgeModel({ profile: false }).fit(ctx, T, [15, 30]);
      const a = mae(v, T, 30, (t, h) => withProfile.predict(t, h));
      const b = mae(v, T, 30, (t, h) => without.predict(t, h));
      assert.ok(a < 0.97 * b, `seed ${seed}: with the profile ${a.toFixed(2)} vs without ${b.toFixed(2)}`);
    }
  });

  it('leaves the feature out with 3 days of history or less: both variants predict the same', () => {
    const v = series(4, 80, 5);
    const T = 3 * 1440;
    const ctx = prepare(v, 1440, T);
    const a = ridgeModel({ profile: true }).fit(ctx, T, [15]);
    const b = ridgeModel({ profile: false }).fit(ctx, T, [15]);
    for (let t = T; t + 15 < v.length; t += 97) assert.equal(a.predict(t, 15), b.predict(t, 15));
  });
});
