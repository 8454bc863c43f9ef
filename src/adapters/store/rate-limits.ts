// Fixed-window request counters in the store (migration 2010), for the API's rate limit when several
// `serve` replicas share one PostgreSQL: one upsert per request, the window opened by the first hit
// and judged by the database's clock (every replica sees the same one). Expired rows are deleted now
// and then by the hits themselves. The table is UNLOGGED and has no index but its key (migration 2120):
// counters are ephemeral, and an upsert that changes no indexed column is a HOT update.
import type { RateLimitRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';

const HIT = `
  INSERT INTO rate_limits (key, count, window_ends) VALUES ($1, 1, now() + make_interval(secs => $2::double precision / 1000))
  ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN rate_limits.window_ends <= now() THEN 1 ELSE rate_limits.count + 1 END,
    window_ends = CASE WHEN rate_limits.window_ends <= now() THEN EXCLUDED.window_ends ELSE rate_limits.window_ends END
  RETURNING count, GREATEST(0, CEIL(EXTRACT(EPOCH FROM (window_ends - now())) * 1000))::bigint AS ttl_ms`;

/** Every this many hits, rows whose window ended are deleted. */
const SWEEP_EVERY = 1000;

export function rateLimitRepo(q: Queryable): RateLimitRepo {
  let hits = 0;
  return {
    async hit(key, windowMs) {
      if (++hits % SWEEP_EVERY === 0) await q.query('DELETE FROM rate_limits WHERE window_ends < now()');
      const r = await q.query<{ count: number; ttl_ms: number }>(HIT, [key, windowMs]);
      return { count: Number(r.rows[0]!.count), ttlMs: Number(r.rows[0]!.ttl_ms) };
    },
  };
}
