// The rollouts repository (Store.rollouts): one small function per SQL statement over rollouts
// (001 + 060) and rollout_targets (060); environment holds use environments.held_by (050). State
// changes are guarded by the rollout state machine: `WHERE state = ANY(sourcesOf(to))`.
import type { NewRollout, Rollout, RolloutProgress, RolloutSpec, RolloutStatus, RolloutTarget, TargetPatch, TargetState } from '../../domain/rollouts.ts';
import { sourcesOf } from '../../domain/rollout-state.ts';
import type { RolloutState } from '../../domain/types.ts';
import type { Page, PageRequest, RolloutRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { iso, isoOrNull, json, jsonParam, pageQuery, strOrNull, toPage, type Row } from './sql.ts';
import { matrixPage, waveCounts } from './rollout-matrix.ts';

/** Runs fn in one transaction: the Db's own, or (inside Store.tx) the open one. */
export type InTransaction = <T>(fn: (q: Queryable) => Promise<T>) => Promise<T>;

const COLUMNS = `seq::text AS seq_key, id, blueprint, version, state, current_wave, reason, spec, status, request_hash, created_by,
  created_at, updated_at, finished_at`;

function toRollout(r: Row): Rollout {
  return {
    id: String(r.id), blueprint: String(r.blueprint), version: String(r.version),
    state: r.state as RolloutState, currentWave: Number(r.current_wave), reason: strOrNull(r.reason),
    spec: json<RolloutSpec>(r.spec, {} as RolloutSpec), status: json<RolloutStatus>(r.status, { waves: [] }),
    requestHash: strOrNull(r.request_hash), createdBy: strOrNull(r.created_by),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), finishedAt: isoOrNull(r.finished_at),
  };
}

function toTarget(r: Row): RolloutTarget {
  return {
    tenant: String(r.tenant), environment: String(r.environment), wave: Number(r.wave), position: Number(r.position),
    state: r.state as TargetState, operationId: strOrNull(r.operation_id), fromVersion: strOrNull(r.from_version),
    reason: strOrNull(r.reason), acknowledged: r.acknowledged === true,
  };
}

const first = (rows: Row[]): Rollout | null => (rows[0] ? toRollout(rows[0]) : null);

export function rolloutRepo(q: Queryable, inTransaction: InTransaction): RolloutRepo {
  return {
    create: (r) => inTransaction((tx) => insertRollout(tx, r)),
    get: async (id) => first((await q.query<Row>(`SELECT ${COLUMNS} FROM rollouts WHERE id = $1`, [id])).rows),
    findByIdempotencyKey: async (key) => first((await q.query<Row>(`SELECT ${COLUMNS} FROM rollouts WHERE idempotency_key = $1`, [key])).rows),
    list: (page) => listRollouts(q, page),
    targets: (id) => listTargets(q, id),
    matrix: (id, page) => matrixPage(q, id, page),
    waveCounts: (id) => waveCounts(q, id),
    transition: (id, to, reason) => transition(q, id, to, reason),
    saveProgress: async (id, p) => {
      await q.query('UPDATE rollouts SET status = $2::jsonb, current_wave = $3, updated_at = now() WHERE id = $1', [id, jsonParam(p.status), p.currentWave]);
    },
    updateTarget: (key, patch, from) => updateTarget(q, key, patch, from),
    startTarget: (id, tenant, environment) => startTarget(q, id, tenant, environment),
    cancelPendingTargets: (id, reason) => cancelPendingTargets(q, id, reason),
    cancelQueuedOperations: (ids) => cancelQueuedOperations(q, ids),
    acknowledgeFailures: (id, wave) => acknowledgeFailures(q, id, wave),
    hold: (id, tenant, environment) => hold(q, id, tenant, environment),
    release: (id, target) => release(q, id, target),
    claimActive: (workerId, leaseMs, limit) => claimActive(q, workerId, leaseMs, limit),
  };
}

/** Inserts the rollout and its targets; with an idempotency key already used, returns that one. Call inside a transaction. */
async function insertRollout(q: Queryable, r: NewRollout): Promise<{ rollout: Rollout; created: boolean }> {
  // The 001 columns selector and waves carry the same plan in its plain form (wave -> tenant/env).
  const waves = r.spec.waveNames.map((_, i) => r.targets.filter((t) => t.wave === i).map((t) => `${t.tenant}/${t.environment}`));
  const ins = await q.query<Row>(
    `INSERT INTO rollouts (id, blueprint, version, selector, waves, state, current_wave, spec, status, idempotency_key, request_hash, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, 'pending', 0, $6::jsonb, $7::jsonb, $8, $9, $10)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
    [r.id, r.blueprint, r.version, jsonParam(r.spec.selector), jsonParam(waves), jsonParam(r.spec), jsonParam(r.status), r.idempotencyKey, r.requestHash, r.createdBy],
  );
  if (ins.rows.length === 0) {
    // The key was taken: ON CONFLICT waited for the other writer to commit, so its row is visible now.
    const prior = await q.query<Row>(`SELECT ${COLUMNS} FROM rollouts WHERE idempotency_key = $1`, [r.idempotencyKey]);
    return { rollout: toRollout(prior.rows[0]!), created: false };
  }
  for (const t of r.targets) {
    await q.query('INSERT INTO rollout_targets (rollout_id, tenant, environment, wave, position, from_version) VALUES ($1, $2, $3, $4, $5, $6)',
      [r.id, t.tenant, t.environment, t.wave, t.position, t.fromVersion]);
  }
  return { rollout: toRollout(ins.rows[0]!), created: true };
}

/** Newest first; opaque cursor over seq (a forged one is an InputError). */
async function listRollouts(q: Queryable, req: PageRequest): Promise<Page<Rollout>> {
  const { limit, after } = pageQuery(req, 1);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM rollouts WHERE ($1::text IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2`, [after?.[0] ?? null, limit + 1]);
  return toPage(rows, limit, toRollout, (r) => [String(r.seq_key)]);
}

async function listTargets(q: Queryable, id: string): Promise<RolloutTarget[]> {
  const { rows } = await q.query<Row>(
    `SELECT tenant, environment, wave, position, state, operation_id, from_version, reason, acknowledged FROM rollout_targets
     WHERE rollout_id = $1 ORDER BY wave, position`, [id]);
  return rows.map(toTarget);
}

async function transition(q: Queryable, id: string, to: RolloutState, reason: string | null): Promise<Rollout | null> {
  const final = to === 'succeeded' || to === 'failed' || to === 'aborted';
  const { rows } = await q.query<Row>(
    `UPDATE rollouts SET state = $2::text, reason = $3::text, updated_at = now(), finished_at = CASE WHEN $4::boolean THEN now() ELSE finished_at END
     WHERE id = $1 AND state = ANY($5::text[]) RETURNING ${COLUMNS}`, [id, to, reason, final, sourcesOf(to)]);
  return first(rows);
}

async function updateTarget(q: Queryable, key: { id: string; tenant: string; environment: string }, patch: TargetPatch, from?: TargetState): Promise<boolean> {
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

async function startTarget(q: Queryable, id: string, tenant: string, environment: string): Promise<boolean> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET state = 'running', reason = NULL, updated_at = now()
     WHERE rollout_id = $1 AND tenant = $2 AND environment = $3 AND state = 'pending'
       AND EXISTS (SELECT 1 FROM rollouts WHERE id = $1 AND state = 'running') RETURNING 1`, [id, tenant, environment]);
  return rows.length > 0;
}

async function cancelPendingTargets(q: Queryable, id: string, reason: string): Promise<number> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET state = 'cancelled', reason = $2, updated_at = now() WHERE rollout_id = $1 AND state = 'pending' RETURNING 1`, [id, reason]);
  return rows.length;
}

async function cancelQueuedOperations(q: Queryable, operationIds: string[]): Promise<string[]> {
  if (operationIds.length === 0) return [];
  const { rows } = await q.query<Row>(
    `UPDATE operations SET state = 'cancelled', error = 'cancelled: rollout aborted', finished_at = now(), updated_at = now()
     WHERE id = ANY($1::text[]) AND state = 'pending' AND lease_token IS NULL
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(steps) = 'array' THEN steps ELSE '[]'::jsonb END) st
                       WHERE st->>'state' <> 'pending')
     RETURNING id`, [operationIds]);
  return rows.map((r) => String(r.id));
}

async function acknowledgeFailures(q: Queryable, id: string, wave: number): Promise<number> {
  const { rows } = await q.query<Row>(
    `UPDATE rollout_targets SET acknowledged = true, updated_at = now() WHERE rollout_id = $1 AND wave = $2 AND state = 'failed' AND NOT acknowledged RETURNING 1`, [id, wave]);
  return rows.length;
}

async function hold(q: Queryable, id: string, tenant: string, environment: string): Promise<'held' | 'taken' | 'missing'> {
  const { rows } = await q.query<Row>(
    `UPDATE environments SET held_by = $3 WHERE tenant = $1 AND name = $2 AND (held_by IS NULL OR held_by = $3) RETURNING 1`, [tenant, environment, id]);
  if (rows.length > 0) return 'held';
  const other = await q.query<Row>('SELECT held_by FROM environments WHERE tenant = $1 AND name = $2', [tenant, environment]);
  return other.rows.length > 0 ? 'taken' : 'missing';
}

async function release(q: Queryable, id: string, target?: { tenant: string; environment: string }): Promise<void> {
  if (target) await q.query('UPDATE environments SET held_by = NULL WHERE tenant = $1 AND name = $2 AND held_by = $3', [target.tenant, target.environment, id]);
  else await q.query('UPDATE environments SET held_by = NULL WHERE held_by = $1', [id]);
}

/** FOR UPDATE SKIP LOCKED, as the operation queue claims: one controller drives each rollout at a time. */
async function claimActive(q: Queryable, workerId: string, leaseMs: number, limit = 10): Promise<string[]> {
  const { rows } = await q.query<Row>(
    `UPDATE rollouts SET locked_by = $1, lease_expires_at = now() + ($2::text || ' milliseconds')::interval
     WHERE id IN (SELECT r.id FROM rollouts r
                  WHERE (r.state IN ('pending', 'running', 'rolling-back')
                         OR (r.state IN ('paused', 'aborted') AND EXISTS (
                               SELECT 1 FROM rollout_targets t WHERE t.rollout_id = r.id AND t.state = 'running')))
                    AND (r.lease_expires_at IS NULL OR r.lease_expires_at < now() OR r.locked_by = $1)
                  ORDER BY r.seq LIMIT $3 FOR UPDATE OF r SKIP LOCKED)
     RETURNING id`, [workerId, String(leaseMs), limit]);
  return rows.map((r) => String(r.id));
}

const ROLLOUT_PROGRESS_SQL = `SELECT r.state,
    count(*) FILTER (WHERE t.state = 'succeeded')::int AS done,
    count(*) FILTER (WHERE t.state = 'failed')::int AS failed,
    count(*)::int AS total
  FROM rollouts r JOIN rollout_targets t ON t.rollout_id = r.id
  WHERE r.state IN ('pending', 'running', 'paused') OR r.finished_at > now() - interval '1 day'
  GROUP BY r.id, r.state`;

/** Target counts per active or recently finished rollout (the rollout gauges; no ids). */
export async function rolloutProgress(q: Queryable): Promise<RolloutProgress[]> {
  const { rows } = await q.query<Row>(ROLLOUT_PROGRESS_SQL);
  return rows.map((r) => ({ state: r.state as RolloutState, done: Number(r.done), failed: Number(r.failed), total: Number(r.total) }));
}
