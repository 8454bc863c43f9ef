import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clipOutliers, fillGaps, quantile, toDense } from './series.ts';

describe('gap fill', () => {
  it('interpolates short gaps linearly', () => {
    const v = Float64Array.from([1, Number.NaN, Number.NaN, 4, 5]);
    fillGaps(v, { maxLinearGap: 5 });
    assert.deepEqual([...v], [1, 2, 3, 4, 5]);
  });

  it('fills long gaps from one season earlier, joined to both edges', () => {
    const season = 20;
    const v = Float64Array.from({ length: 100 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / season));
    const truth = Float64Array.from(v);
    for (let i = 50; i < 62; i++) v[i] = Number.NaN;
    fillGaps(v, { maxLinearGap: 3, season });
    for (let i = 50; i < 62; i++) assert.ok(Math.abs(v[i]! - truth[i]!) < 1e-9, `index ${i}: ${v[i]} vs ${truth[i]}`);
  });

  it('long gap without a season falls back to linear; leading/trailing gaps take the edge value', () => {
    const v = Float64Array.from([Number.NaN, 2, Number.NaN, Number.NaN, Number.NaN, 6, Number.NaN]);
    fillGaps(v, { maxLinearGap: 1 });
    assert.deepEqual([...v], [2, 2, 3, 4, 5, 6, 6]);
  });

  it('toDense places samples on the step grid and fills the missing ones', () => {
    const d = toDense([{ ts: 600, value: 1 }, { ts: 660, value: 2 }, { ts: 840, value: 5 }], 60);
    assert.equal(d.start, 600);
    assert.deepEqual([...d.values], [1, 2, 3, 4, 5]);
  });
});

describe('outlier clip', () => {
  it('clips an isolated spike and leaves ordinary noise alone', () => {
    const v = Float64Array.from({ length: 200 }, (_, i) => 100 + ((i * 7) % 5) - 2);
    v[120] = 10_000;
    const { values, clipped } = clipOutliers(v);
    assert.equal(clipped, 1);
    assert.ok(values[120]! < 150, `spike clipped to ${values[120]}`);
    for (let i = 0; i < 200; i++) if (i !== 120) assert.equal(values[i], v[i]);
  });

  it('lets a sustained level shift through once the window catches up', () => {
    const v = Float64Array.from({ length: 300 }, (_, i) => (i < 150 ? 10 : 50) + (i % 3) * 0.1);
    const { values } = clipOutliers(v);
    assert.equal(values[299], v[299]);
    assert.ok(values[250]! > 49);
  });

  it('is causal: changing the future does not change the past', () => {
    const a = Float64Array.from({ length: 120 }, (_, i) => Math.sin(i / 5) * 10 + (i === 60 ? 500 : 0));
    const b = Float64Array.from(a);
    b[100] = -1e6;
    assert.deepEqual([...clipOutliers(a).values.subarray(0, 100)], [...clipOutliers(b).values.subarray(0, 100)]);
  });
});

it('quantile interpolates', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([0, 10], 0.9), 9);
});

describe('outlier clip with a season', () => {
  it('keeps a burst that happened at the same time one season earlier, clips a one-off', () => {
    const season = 100;
    const v = Float64Array.from({ length: 300 }, (_, i) => 10 + (i % 7) * 0.1);
    for (const start of [50, 150, 250]) for (let i = start; i < start + 8; i++) v[i] = 200; // daily burst
    v[180] = 500; // one-off glitch
    const { values } = clipOutliers(v, { season });
    assert.ok(values[50]! < 200, 'the first occurrence is clipped (nothing to confirm it)');
    for (let i = 150; i < 158; i++) assert.equal(values[i], 200, `index ${i}`);
    for (let i = 250; i < 258; i++) assert.equal(values[i], 200, `index ${i}`);
    assert.ok(values[180]! < 50, `glitch clipped to ${values[180]}`);
  });
});
