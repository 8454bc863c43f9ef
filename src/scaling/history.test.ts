import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { RangeQuery, SeriesResult } from '../adapters/prometheus/client.ts';
import { CachedHistory } from './history.ts';

// A stand-in for Prometheus' range API over a known function (pure logic of the cache only; the real
// server is exercised by test/integration/prescale*.test.ts).
function fakeClient(value: (ts: number) => number) {
  const calls: RangeQuery[] = [];
  return {
    calls,
    async range(q: RangeQuery): Promise<SeriesResult[]> {
      calls.push(q);
      const samples = [];
      for (let ts = Math.ceil(q.start / q.step) * q.step; ts <= q.end; ts += q.step) samples.push({ ts, value: value(ts) });
      return [{ metric: {}, samples }];
    },
  };
}

it('reads the full window once, then only the newest minutes, with the same result as a full read', async () => {
  let version = 1;
  const client = fakeClient((ts) => ts / 60 + (ts > 1_000_020 + 86_400 + 3000 ? version : 0));
  const cache = new CachedHistory(client);
  const q = (end: number): RangeQuery => ({ query: 'sum(x)', start: end - 86_400, end, step: 60 });
  const first = await cache.history(q(1_000_020 + 86_400));
  assert.equal(first.series.values.length, 1441);
  // A late correction inside the overlap window must be picked up.
  version = 2;
  const end2 = 1_000_020 + 86_400 + 3600;
  const second = await cache.history(q(end2));
  assert.equal(client.calls.length, 2);
  assert.ok(client.calls[1]!.start >= end2 - 3600 - 600, `incremental read from ${client.calls[1]!.start}`);
  const full = await new CachedHistory(fakeClient((ts) => ts / 60 + (ts > 1_000_020 + 86_400 + 3000 ? 2 : 0))).history(q(end2));
  assert.equal(second.series.start, full.series.start);
  assert.deepEqual([...second.series.values], [...full.series.values]);
});

it('falls back to a full read when the clock goes backwards or the query changes', async () => {
  const client = fakeClient(() => 1);
  const cache = new CachedHistory(client);
  await cache.history({ query: 'a', start: 0, end: 86_400, step: 60 });
  await cache.history({ query: 'a', start: 0, end: 40_000, step: 60 });
  await cache.history({ query: 'b', start: 0, end: 86_400, step: 60 });
  assert.deepEqual(client.calls.map((c) => c.start), [0, 0, 0]);
});
