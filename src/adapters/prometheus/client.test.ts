import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chunkRange, MAX_POINTS_PER_REQUEST } from './client.ts';
import { toOpenMetrics } from '../../../test/helpers/prometheus.ts';

it('chunks a 14-day 1-minute range into step-aligned, non-overlapping pieces under the point limit', () => {
  const start = 26_666_640 * 60; // step-aligned, as the pre-scaler asks
  const q = { start, end: start + 14 * 86_400, step: 60 };
  const chunks = chunkRange(q);
  assert.equal(chunks.length, 3);
  let points = 0;
  for (const [i, c] of chunks.entries()) {
    const n = (c.end - c.start) / 60 + 1;
    assert.ok(Number.isInteger(n) && n <= MAX_POINTS_PER_REQUEST);
    if (i > 0) assert.equal(c.start, chunks[i - 1]!.end + 60);
    points += n;
  }
  assert.equal(points, 14 * 1440 + 1);
  assert.equal(chunks[chunks.length - 1]!.end, q.end);
});

it('a short range is one request; bad ranges are rejected', () => {
  assert.deepEqual(chunkRange({ start: 0, end: 600, step: 60 }), [{ start: 0, end: 600 }]);
  assert.throws(() => chunkRange({ start: 10, end: 0, step: 60 }), RangeError);
  assert.throws(() => chunkRange({ start: 0, end: 10, step: 0 }), RangeError);
});

it('writes OpenMetrics promtool accepts: TYPE line once, samples, # EOF', () => {
  const text = toOpenMetrics([{ metric: 'x', labels: { a: 'b"c' }, samples: [{ ts: 60, value: 1.5 }] }]);
  assert.equal(text, '# TYPE x gauge\nx{a="b_c"} 1.5 60\n# EOF\n');
});
