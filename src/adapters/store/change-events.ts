// Read side of the change feed (migration 900): rows the triggers append, read after an SSE event
// id, filtered to one tenant or the whole fleet, and pruned after a day. Read-only except prune().
import type { Queryable } from './db.ts';
import { iso, type Row } from './sql.ts';

export type ChangeTopic = 'environment' | 'operation' | 'rollout' | 'rollout-target';
export const CHANGE_TOPICS: readonly ChangeTopic[] = ['environment', 'operation', 'rollout', 'rollout-target'];

export interface ChangeEvent {
  /** The SSE event id. */
  seq: number;
  at: string;
  topic: ChangeTopic;
  /** null: fleet-wide (rollouts), admin only. */
  tenant: string | null;
  subject: string;
  data: Record<string, unknown>;
}

/** Who reads: one tenant (its rows only, never fleet-wide ones) or the fleet (admin). */
export type ChangeScope = { kind: 'fleet' } | { kind: 'tenant'; tenant: string };

function toEvent(r: Row): ChangeEvent {
  return {
    seq: Number(r.seq), at: iso(r.at), topic: r.topic as ChangeTopic, tenant: (r.tenant as string | null) ?? null,
    subject: String(r.subject), data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
  };
}

/** Events after `seq` (exclusive), oldest first, at most `limit`. */
export async function changesAfter(q: Queryable, seq: number, scope: ChangeScope, limit: number): Promise<ChangeEvent[]> {
  const tenant = scope.kind === 'tenant' ? scope.tenant : null;
  const { rows } = await q.query<Row>(
    `SELECT seq, at, topic, tenant, subject, data FROM change_events
     WHERE seq > $1 AND ($2::text IS NULL OR tenant = $2) ORDER BY seq LIMIT $3`, [seq, tenant, limit]);
  return rows.map(toEvent);
}

/** Specific events (late commits of ids the tail skipped over), visible to the scope. */
export async function changesIn(q: Queryable, seqs: number[]): Promise<ChangeEvent[]> {
  if (seqs.length === 0) return [];
  const { rows } = await q.query<Row>('SELECT seq, at, topic, tenant, subject, data FROM change_events WHERE seq = ANY($1::bigint[]) ORDER BY seq', [seqs]);
  return rows.map(toEvent);
}

/** The newest event id (0 when there is none): where a stream without Last-Event-ID starts. */
export async function latestChange(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM change_events');
  return Number(rows[0]?.seq ?? 0);
}

/** The oldest kept event id, or null when the feed is empty. */
export async function oldestChange(q: Queryable): Promise<number | null> {
  const { rows } = await q.query<{ seq: number | null }>('SELECT min(seq) AS seq FROM change_events');
  const v = rows[0]?.seq;
  return v === null || v === undefined ? null : Number(v);
}

/** Deletes events older than `keepSeconds`; returns how many. */
export async function pruneChanges(q: Queryable, keepSeconds: number): Promise<number> {
  const { rows } = await q.query(`DELETE FROM change_events WHERE at < now() - ($1::text || ' seconds')::interval RETURNING 1`, [String(keepSeconds)]);
  return rows.length;
}
