// Read side of the change feed (migration 900, Store.changes): rows the triggers append, read after
// an SSE event id, filtered to one tenant or the whole fleet, and pruned after a day. Read-only except prune().
import type { ChangeEvent, ChangeScope, ChangeTopic } from '../../domain/change-feed.ts';
import type { ChangeFeedRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { iso, type Row } from './sql.ts';

function toEvent(r: Row): ChangeEvent {
  return {
    seq: Number(r.seq), at: iso(r.at), topic: r.topic as ChangeTopic, tenant: (r.tenant as string | null) ?? null,
    subject: String(r.subject), data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
  };
}

/** Events after `seq` (exclusive), oldest first, at most `limit`. */
async function changesAfter(q: Queryable, seq: number, scope: ChangeScope, limit: number): Promise<ChangeEvent[]> {
  const tenant = scope.kind === 'tenant' ? scope.tenant : null;
  const { rows } = await q.query<Row>(
    `SELECT seq, at, topic, tenant, subject, data FROM change_events
     WHERE seq > $1 AND ($2::text IS NULL OR tenant = $2) ORDER BY seq LIMIT $3`, [seq, tenant, limit]);
  return rows.map(toEvent);
}

/** The newest event id (0 when there is none): where a stream without Last-Event-ID starts. */
async function latestChange(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM change_events');
  return Number(rows[0]?.seq ?? 0);
}

/** The oldest kept event id, or null when the feed is empty. */
async function oldestChange(q: Queryable): Promise<number | null> {
  const { rows } = await q.query<{ seq: number | null }>('SELECT min(seq) AS seq FROM change_events');
  const v = rows[0]?.seq;
  return v === null || v === undefined ? null : Number(v);
}

/** Deletes events older than `keepSeconds`; returns how many. */
async function pruneChanges(q: Queryable, keepSeconds: number): Promise<number> {
  const { rows } = await q.query(`DELETE FROM change_events WHERE at < now() - ($1::text || ' seconds')::interval RETURNING 1`, [String(keepSeconds)]);
  return rows.length;
}

export function changeFeedRepo(q: Queryable): ChangeFeedRepo {
  return {
    after: (seq, scope, limit) => changesAfter(q, seq, scope, limit),
    latest: () => latestChange(q),
    oldest: () => oldestChange(q),
    prune: (keepSeconds) => pruneChanges(q, keepSeconds),
  };
}
