import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Environment } from '../domain/types.ts';
import { bindStoreMetrics, environmentHealthRows, listAllEnvironments } from './store-gauges.ts';
import { registry } from './registry.ts';

const env = (name: string, cluster: string, health: Environment['health']) => ({ tenant: 't', name, placement: { cluster, namespace: 'n' }, health }) as Environment;

// A fake store is fine here: this is the pure paging/caching logic; integration tests use the real one.
function fakeStore(envs: Environment[]) {
  let depthCalls = 0;
  return {
    calls: () => depthCalls,
    environments: {
      list: async ({ cursor, limit }: { cursor?: string; limit?: number }) => {
        const start = Number(cursor ?? 0);
        const end = start + (limit ?? 50);
        return { items: envs.slice(start, end), ...(end < envs.length ? { next: String(end) } : {}) };
      },
    },
    stats: {
      queueDepth: async () => { depthCalls += 1; return { pending: 3, running: 1 }; },
      oldestLeaseAge: async () => null,
      rolloutProgress: async () => [],
    },
  };
}

test('listAllEnvironments follows cursors across pages', async () => {
  const envs = Array.from({ length: 1234 }, (_, i) => env(`e${i}`, 'c1', 'Ready'));
  const all = await listAllEnvironments(fakeStore(envs) as never);
  assert.equal(all.length, 1234);
});

test('environmentHealthRows groups by cluster and health', () => {
  const rows = environmentHealthRows([env('a', 'c1', 'Ready'), env('b', 'c1', 'Ready'), env('c', 'c2', 'Failed')]);
  assert.deepEqual(rows, [{ cluster: 'c1', health: 'Ready', count: 2 }, { cluster: 'c2', health: 'Failed', count: 1 }]);
});

test('bindStoreMetrics: gauges read the store at scrape time, cached within the TTL', async () => {
  let now = 0;
  const store = fakeStore([env('a', 'c1', 'Degraded')]);
  bindStoreMetrics(store as never, { ttlMs: 1000, clock: () => now });
  const text1 = await registry.metrics();
  await registry.metrics();
  assert.match(text1, /^fleetplane_queue_depth\{state="pending"\} 3$/m);
  assert.match(text1, /^fleetplane_environments\{cluster="c1",health="Degraded"\} 1$/m);
  assert.equal(store.calls(), 1, 'second scrape within the TTL is served from cache');
  now = 5000;
  await registry.metrics();
  assert.equal(store.calls(), 2);
});
