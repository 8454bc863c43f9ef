import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from '../candidates.ts';
import { seasonalNaiveLevel } from './naive.ts';
import { profilePredict, seasonalProfile } from './profile.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (1664525 * s + 1013904223) >>> 0) / 2 ** 32) - 0.5;
}

/**
 * Daily shape, optional weekly factor (days 5 and 6 of each week at 40%), and noise that persists: one
 * random offset per 20-minute block of each day (what one day's copy carries into the next) plus point noise.
 */
function series(days: number, noise: number, weekly: boolean): Float64Array {
  const r = lcg(3);
  const blocks = Array.from({ length: days * 72 }, () => noise * r());
  return Float64Array.from({ length: days * 1440 }, (_, i) => {
    const phase = (2 * Math.PI * (i % 1440)) / 1440;
    const dow = Math.floor(i / 1440) % 7;
    const f = weekly && dow >= 5 ? 0.4 : 1;
    return f * (200 + 120 * Math.sin(phase)) + blocks[Math.floor(i / 20)]! + 0.2 * noise * r();
  });
}

function mae(v: Float64Array, from: number, h: number, predict: (t: number, h: number) => number): number {
  let e = 0, n = 0;
  for (let t = from; t + h < v.length; t += 5) { e += Math.abs(v[t + h]! - predict(t, h)); n++; }
  return e / n;
}

describe('seasonal profile (daily + weekly)', () => {
  it('averages the noise of several days: beats seasonal naive × level on a noisy daily series', () => {
    const v = series(9, 80, false);
    const T = 7 * 1440;
    const ctx = prepare(v, 1440, T);
    const prof = seasonalProfile.fit(ctx, T, [15, 30]);
    const snl = seasonalNaiveLevel.fit(ctx, T, [15, 30]);
    const a = mae(v, T, 30, (t, h) => prof.predict(t, h));
    const b = mae(v, T, 30, (t, h) => snl.predict(t, h));
    assert.ok(a < 0.85 * b, `profile ${a} vs seasonal naive level ${b}`);
  });

  it('uses the week: on a weekday/weekend series the weekly blend beats the daily-only profile on weekend days', () => {
    const v = series(16, 10, true);
    const ctx = prepare(v, 1440, v.length);
    const from = 12 * 1440 + 60; // a weekend day (day 12 = dow 5), after the Friday → Saturday step
    const daily = mae(v, from, 30, (t, h) => profilePredict(ctx, { days: 3, level: 60, smooth: 5, week: 0 }, t, h));
    const blended = mae(v, from, 30, (t, h) => profilePredict(ctx, { days: 3, level: 60, smooth: 5, week: 0.5 }, t, h));
    assert.ok(blended < daily, `weekly blend ${blended} vs daily ${daily}`);
  });

  it('reads no value after the origin', () => {
    const v = series(9, 20, false);
    const ctx = prepare(v, 1440, v.length);
    const q = { days: 5, level: 15, smooth: 15, week: 0.5 };
    const t = 8 * 1440;
    const before = profilePredict(ctx, q, t, 30);
    const w = Float64Array.from(v);
    for (let i = t + 1; i < w.length; i++) w[i] = 1e6;
    assert.equal(profilePredict(prepare(w, 1440, t + 1), q, t, 30), before);
  });
});
