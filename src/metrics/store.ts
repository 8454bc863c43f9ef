// Binds the scrape-time gauges that describe stored state to a Store: queue depth by state,
// environments by cluster and health and, on the SQL store, the oldest held lease and rollout progress. Reads are cached briefly so frequent scrapes (or several
// Prometheus servers) cost one query per interval, not one per scrape.
import type { Environment } from '../domain/types.ts';
import type { Store } from '../adapters/store/port.ts';
import { bindEnvironmentHealth, bindOldestLeaseAge, bindQueueDepth, bindRolloutProgress, type RolloutProgress } from './engine.ts';

/** The SQL store's query handle (SqlStore.db), when the store has one. */
interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

// Read-only reporting over the queue (migration 050) and rollout (060) tables.
const OLDEST_LEASE_SQL = `SELECT EXTRACT(EPOCH FROM (now() - min(locked_at)))::float8 AS age FROM operations
  WHERE state = 'running' AND locked_at IS NOT NULL AND lease_expires_at > now()`;
const ROLLOUT_PROGRESS_SQL = `SELECT r.state,
    count(*) FILTER (WHERE t.state = 'succeeded')::int AS done,
    count(*) FILTER (WHERE t.state = 'failed')::int AS failed,
    count(*)::int AS total
  FROM rollouts r JOIN rollout_targets t ON t.rollout_id = r.id
  WHERE r.state IN ('pending', 'running', 'paused') OR r.finished_at > now() - interval '1 day'
  GROUP BY r.id, r.state`;

export async function oldestLeaseAge(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ age: number | string | null }>(OLDEST_LEASE_SQL);
  const age = rows[0]?.age;
  return age === null || age === undefined ? null : Math.max(0, Number(age));
}

export async function rolloutProgress(db: Queryable): Promise<RolloutProgress[]> {
  const { rows } = await db.query<{ state: RolloutProgress['state']; done: number; failed: number; total: number }>(ROLLOUT_PROGRESS_SQL);
  return rows.map((r) => ({ state: r.state, done: Number(r.done), failed: Number(r.failed), total: Number(r.total) }));
}

function sqlHandle(store: object): Queryable | null {
  const db = (store as { db?: unknown }).db;
  return db && typeof (db as Queryable).query === 'function' ? (db as Queryable) : null;
}

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

export function bindStoreMetrics(store: Pick<Store, 'environments' | 'queue'>, opts: { ttlMs?: number; clock?: () => number } = {}): void {
  const ttl = opts.ttlMs ?? 5_000;
  const clock = opts.clock ?? Date.now;
  bindQueueDepth(cached(ttl, () => store.queue.depth(), clock));
  bindEnvironmentHealth(cached(ttl, async () => environmentHealthRows(await listAllEnvironments(store)), clock));
  const db = sqlHandle(store);
  if (db) {
    bindOldestLeaseAge(cached(ttl, () => oldestLeaseAge(db), clock));
    bindRolloutProgress(cached(ttl, () => rolloutProgress(db), clock));
  }
}
