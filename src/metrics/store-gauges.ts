// Binds the scrape-time gauges that describe stored state to a Store: queue depth by state, the
// oldest claim, environments by cluster and health, rollout progress. The figures come from the
// port (Store.stats, Store.environments); the SQL behind them lives in src/adapters/store/. `serve`
// binds them once. Reads are cached briefly so frequent scrapes (or several Prometheus servers) cost
// one query per interval, not one per scrape.
import type { Environment } from '../domain/types.ts';
import type { Store } from '../domain/ports/store.ts';
import { bindEnvironmentHealth, bindOldestLeaseAge, bindQueueDepth, bindRolloutProgress } from './engine.ts';

const PAGE = 500;
/** Safety stop for listing: a fleet far beyond the design size should not stall a scrape. */
const MAX_ENVIRONMENTS = 20_000;

export async function listAllEnvironments(store: Pick<Store, 'environments'>, tenant?: string): Promise<Environment[]> {
  const out: Environment[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ limit: PAGE, cursor, tenant });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor && out.length < MAX_ENVIRONMENTS);
  return out;
}

function cached<T>(ttlMs: number, read: () => Promise<T>, clock: () => number): () => Promise<T> {
  let at = -Infinity;
  let value: Promise<T> | undefined;
  return () => {
    const now = clock();
    if (!value || now - at > ttlMs) {
      at = now;
      value = read().catch((err: unknown) => {
        value = undefined; // do not cache failures
        throw err;
      });
    }
    return value;
  };
}

export function environmentHealthRows(envs: Environment[]): Array<{ cluster: string; health: string; count: number }> {
  const counts = new Map<string, { cluster: string; health: string; count: number }>();
  for (const e of envs) {
    const key = `${e.placement.cluster}\u0000${e.health}`;
    const row = counts.get(key) ?? { cluster: e.placement.cluster, health: e.health, count: 0 };
    row.count += 1;
    counts.set(key, row);
  }
  return [...counts.values()];
}

export function bindStoreMetrics(store: Pick<Store, 'environments' | 'stats'>, opts: { ttlMs?: number; clock?: () => number } = {}): void {
  const ttl = opts.ttlMs ?? 5_000;
  const clock = opts.clock ?? Date.now;
  bindQueueDepth(cached(ttl, () => store.stats.queueDepth(), clock));
  bindOldestLeaseAge(cached(ttl, () => store.stats.oldestLeaseAge(), clock));
  bindEnvironmentHealth(cached(ttl, async () => environmentHealthRows(await listAllEnvironments(store)), clock));
  bindRolloutProgress(cached(ttl, () => store.stats.rolloutProgress(), clock));
}
