// Rollout persistence: one small function per SQL operation, over the store's Db (PGlite or
// PostgreSQL, same SQL). Tables: rollouts (001 + 060) and rollout_targets (060); environment holds
// use environments.held_by (050).
import type { Db, Queryable } from '../../adapters/store/db.ts';
import type { RolloutState } from '../../domain/types.ts';
import { sourcesOf } from './state.ts';
import type { RolloutRecord, RolloutSpec, RolloutStatus, RolloutTarget, TargetState } from './types.ts';

type Row = Record<string, unknown>;

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

function toRecord(r: Row): RolloutRecord {
  return {
    id: String(r.id), blueprint: String(r.blueprint), version: String(r.version),
    state: r.state as RolloutState, currentWave: Number(r.current_wave), reason: (r.reason as string | null) ?? null,
    spec: r.spec as RolloutSpec, status: r.status as RolloutStatus,
    requestHash: (r.request_hash as string | null) ?? null, createdBy: (r.created_by as string | null) ?? null,
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), finishedAt: isoOrNull(r.finished_at),
  };
}

function toTarget(r: Row): RolloutTarget {
  return {
    tenant: String(r.tenant), environment: String(r.environment), wave: Number(r.wave), position: Number(r.position),
    state: r.state as TargetState, operationId: (r.operation_id as string | null) ?? null,
    fromVersion: (r.from_version as string | null) ?? null, reason: (r.reason as string | null) ?? null,
    acknowledged: r.acknowledged === true,
  };
}

const COLS = 'id, blueprint, version, state, current_wave, reason, spec, status, request_hash, created_by, created_at, updated_at, finished_at, seq';

export interface NewRollout {
  id: string;
  blueprint: string;
  version: string;
  spec: RolloutSpec;
  status: RolloutStatus;
  targets: Array<Omit<RolloutTarget, 'state' | 'operationId' | 'reason' | 'acknowledged'>>;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdBy: string | null;
}

/** Inserts the rollout and its targets; with an idempotency key already used, returns that one. */
export async function insertRollout(db: Db, r: NewRollout): Promise<{ record: RolloutRecord; created: boolean }> {
  return db.transaction(async (q) => {
    const waves = r.spec.waveNames.map((_, i) => r.targets.filter((t) => t.wave === i).map((t) => `${t.tenant}/${t.environment}`));
    const ins = await q.query<Row>(
      `INSERT INTO rollouts (id, blueprint, version, selector, waves, state, current_wave, spec, status, idempotency_key, request_hash, created_by)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, 'pending', 0, $6::jsonb, $7::jsonb, $8, $9, $10)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLS}`,
      [r.id, r.blueprint, r.version, JSON.stringify(r.spec.selector), JSON.stringify(waves), JSON.stringify(r.spec), JSON.stringify(r.status), r.idempotencyKey, r.requestHash, r.createdBy],
    );
    if (ins.rows.length === 0) {
      const prior = await q.query<Row>(`SELECT ${COLS} FROM rollouts WHERE idempotency_key = $1`, [r.idempotencyKey]);
      return { record: toRecord(prior.rows[0]!), created: false };
    }
    for (const t of r.targets) {
      await q.query('INSERT INTO rollout_targets (rollout_id, tenant, environment, wave, position, from_version) VALUES ($1, $2, $3, $4, $5, $6)',
        [r.id, t.tenant, t.environment, t.wave, t.position, t.fromVersion]);
    }
    return { record: toRecord(ins.rows[0]!), created: true };
  });
}

export async function getRollout(q: Queryable, id: string): Promise<RolloutRecord | null> {
  const { rows } = await q.query<Row>(`SELECT ${COLS} FROM rollouts WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Newest first; the cursor is the last row's seq. */
export async function listRollouts(q: Queryable, limit: number, cursor?: string): Promise<{ items: RolloutRecord[]; next?: string }> {
  const after = cursor && /^\d+$/.test(cursor) ? cursor : null;
  const { rows } = await q.query<Row>(
    `SELECT ${COLS} FROM rollouts WHERE ($1::bigint IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2`, [after, limit + 1]);
  const items = rows.slice(0, limit).map(toRecord);
  return rows.length > limit ? { items, next: String(rows[limit - 1]!.seq) } : { items };
}

export async function listTargets(q: Queryable, id: string): Promise<RolloutTarget[]> {
  const { rows } = await q.query<Row>('SELECT * FROM rollout_targets WHERE rollout_id = $1 ORDER BY wave, position', [id]);
  return rows.map(toTarget);
}

/** Guarded state change: only from a state that may enter `to`. Null when the move is not allowed. */
export async function transition(q: Queryable, id: string, to: RolloutState, reason: string | null): Promise<RolloutRecord | null> {
  const final = to === 'succeeded' || to === 'failed' || to === 'aborted';
  const { rows } = await q.query<Row>(
    `UPDATE rollouts SET state = $2::text, reason = $3::text, updated_at = now(), finished_at = CASE WHEN $4::boolean THEN now() ELSE finished_at END
     WHERE id = $1 AND state = ANY($5::text[]) RETURNING ${COLS}`, [id, to, reason, final, sourcesOf(to)]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function saveProgress(q: Queryable, id: string, p: { status: RolloutStatus; currentWave: number }): Promise<void> {
  await q.query('UPDATE rollouts SET status = $2::jsonb, current_wave = $3, updated_at = now() WHERE id = $1', [id, JSON.stringify(p.status), p.currentWave]);
}

export interface TargetPatch {
  state?: TargetState;
  operationId?: string | null;
  reason?: string | null;
  acknowledged?: boolean;
}

/** Updates one target; with `from`, only when it is still in that state (returns whether it changed). */
export async function updateTarget(q: Queryable, key: { id: string; tenant: string; environment: string }, patch: TargetPatch, from?: TargetState): Promise<boolean> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET state = COALESCE($4::text, state),
       operation_id = CASE WHEN $5::boolean THEN $6::text ELSE operation_id END,
       reason = CASE WHEN $7::boolean THEN $8::text ELSE reason END,
       acknowledged = COALESCE($9::boolean, acknowledged), updated_at = now()
     WHERE rollout_id = $1 AND tenant = $2 AND environment = $3 AND ($10::text IS NULL OR state = $10) RETURNING 1`,
    [key.id, key.tenant, key.environment, patch.state ?? null, 'operationId' in patch, patch.operationId ?? null,
      'reason' in patch, patch.reason ?? null, patch.acknowledged ?? null, from ?? null]);
  return rows.length > 0;
}

/** Pending targets of a rollout become cancelled (abort). */
export async function cancelPendingTargets(q: Queryable, id: string, reason: string): Promise<number> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET state = 'cancelled', reason = $2, updated_at = now() WHERE rollout_id = $1 AND state = 'pending' RETURNING 1`, [id, reason]);
  return rows.length;
}

/**
 * Operations this rollout queued that have not started are cancelled (abort). One that is pending
 * again after starting (a parked verify, a step waiting to retry) has touched the cluster: it runs to
 * its end, so the environment ends verified or rolled back, never half-delivered.
 */
export async function cancelQueuedOperations(q: Queryable, operationIds: string[]): Promise<string[]> {
  if (operationIds.length === 0) return [];
  const { rows } = await q.query<Row>(
    `UPDATE operations SET state = 'cancelled', error = 'cancelled: rollout aborted', finished_at = now(), updated_at = now()
     WHERE id = ANY($1::text[]) AND state = 'pending' AND lease_token IS NULL
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(steps) = 'array' THEN steps ELSE '[]'::jsonb END) st
                       WHERE st->>'state' <> 'pending')
     RETURNING id`, [operationIds]);
  return rows.map((r) => String(r.id));
}

/** Marks acknowledged (on resume) every failed target of one wave. */
export async function acknowledgeFailures(q: Queryable, id: string, wave: number): Promise<number> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET acknowledged = true, updated_at = now() WHERE rollout_id = $1 AND wave = $2 AND state = 'failed' AND NOT acknowledged RETURNING 1`, [id, wave]);
  return rows.length;
}

/** Holds an environment for this rollout: 'held', or why not ('taken' by another rollout, 'missing'). */
export async function hold(q: Queryable, id: string, tenant: string, environment: string): Promise<'held' | 'taken' | 'missing'> {
  const { rows } = await q.query<Row>(
    `UPDATE environments SET held_by = $3 WHERE tenant = $1 AND name = $2 AND (held_by IS NULL OR held_by = $3) RETURNING 1`, [tenant, environment, id]);
  if (rows.length > 0) return 'held';
  const other = await q.query<Row>('SELECT held_by FROM environments WHERE tenant = $1 AND name = $2', [tenant, environment]);
  return other.rows.length > 0 ? 'taken' : 'missing';
}

export async function release(q: Queryable, id: string, target?: { tenant: string; environment: string }): Promise<void> {
  if (target) await q.query('UPDATE environments SET held_by = NULL WHERE tenant = $1 AND name = $2 AND held_by = $3', [target.tenant, target.environment, id]);
  else await q.query('UPDATE environments SET held_by = NULL WHERE held_by = $1', [id]);
}

/**
 * Claims rollouts that need a controller (active ones, and paused/aborted ones still following running
 * upgrades) whose lease is free or ours, with FOR UPDATE SKIP LOCKED; returns their ids.
 */
export async function claimActive(q: Queryable, workerId: string, leaseMs: number, limit = 10): Promise<string[]> {
  const { rows } = await q.query<Row>(
    `UPDATE rollouts SET locked_by = $1, lease_expires_at = now() + ($2::text || ' milliseconds')::interval
     WHERE id IN (SELECT r.id FROM rollouts r
                  WHERE (r.state IN ('pending', 'running')
                         OR (r.state IN ('paused', 'aborted') AND EXISTS (
                               SELECT 1 FROM rollout_targets t WHERE t.rollout_id = r.id AND t.state = 'running')))
                    AND (r.lease_expires_at IS NULL OR r.lease_expires_at < now() OR r.locked_by = $1)
                  ORDER BY r.seq LIMIT $3 FOR UPDATE OF r SKIP LOCKED)
     RETURNING id`, [workerId, String(leaseMs), limit]);
  return rows.map((r) => String(r.id));
}

/** pending -> running for one target, only while the rollout itself is running (a pause wins). */
export async function startTarget(q: Queryable, id: string, tenant: string, environment: string): Promise<boolean> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET state = 'running', reason = NULL, updated_at = now()
     WHERE rollout_id = $1 AND tenant = $2 AND environment = $3 AND state = 'pending'
       AND EXISTS (SELECT 1 FROM rollouts WHERE id = $1 AND state = 'running') RETURNING 1`, [id, tenant, environment]);
  return rows.length > 0;
}
