// recordStep: write a step's state into operations.steps (merged by name) and its run history, in
// one statement each inside one transaction, both fenced by the lease token.
import type { Db, Queryable } from '../db.ts';
import type { OperationStep } from '../../../domain/types.ts';
import { release } from './fail.ts';

const UPDATE_STEPS = `
UPDATE operations SET updated_at = now(), steps = (
  SELECT CASE WHEN bool_or(s->>'name' = $3) THEN jsonb_agg(CASE WHEN s->>'name' = $3 THEN $4::jsonb ELSE s END ORDER BY n)
              ELSE COALESCE(jsonb_agg(s ORDER BY n), '[]'::jsonb) || jsonb_build_array($4::jsonb) END
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(steps) = 'array' THEN steps ELSE '[]'::jsonb END) WITH ORDINALITY AS t(s, n))
WHERE id = $1 AND lease_token = $2 AND state = 'running'
RETURNING attempts`;

export async function recordStep(db: Db, id: string, leaseToken: string, step: OperationStep, workerId = 'unknown'): Promise<boolean> {
  return db.transaction((q) => writeStep(q, id, leaseToken, step, workerId));
}

/**
 * park: record the step as waiting and hand the operation back (claimable after delayMs) in ONE
 * transaction, so nobody reading the operation sees it still running with its step already waiting.
 */
export async function park(db: Db, id: string, leaseToken: string, step: OperationStep, delayMs: number): Promise<boolean> {
  // The step write holds the operation's row lock with this lease, so the release cannot miss it.
  return db.transaction(async (q) => (await writeStep(q, id, leaseToken, step)) && release(q, id, leaseToken, delayMs));
}

async function writeStep(q: Queryable, id: string, leaseToken: string, step: OperationStep, workerId = 'unknown'): Promise<boolean> {
  const { rows } = await q.query(UPDATE_STEPS, [id, leaseToken, step.name, JSON.stringify(step)]);
  if (rows.length === 0) return false;
  if (step.state === 'running') {
    await q.query(
      `INSERT INTO operation_step_runs (operation_id, step, attempt, worker_id, lease_token, state)
       VALUES ($1, $2, $3, $4, $5, 'running')`,
      [id, step.name, step.attempts, workerId, leaseToken],
    );
  } else {
    await q.query(
      `UPDATE operation_step_runs SET state = $4, finished_at = now(), error = $5, output = $6::jsonb
       WHERE operation_id = $1 AND step = $2 AND lease_token = $3 AND finished_at IS NULL`,
      [id, step.name, leaseToken, step.state, step.error ?? null, step.output ? JSON.stringify(step.output) : null],
    );
  }
  return true;
}

/**
 * closeRuns: close this claim's still-open run rows (e.g. as `lease-lost` or `released`). Matched by
 * the claim's lease token, which no other claim shares, and deliberately NOT fenced by the
 * operation's lease: the run history is the worker's own audit trail, not operation state, so a
 * worker that lost its lease can still say where it stopped. Returns how many rows it closed.
 */
export async function closeRuns(q: Queryable, id: string, leaseToken: string, state: string, error: string): Promise<number> {
  const { rows } = await q.query(
    `UPDATE operation_step_runs SET state = $3, finished_at = now(), error = $4
     WHERE operation_id = $1 AND lease_token = $2 AND finished_at IS NULL RETURNING 1`,
    [id, leaseToken, state, error],
  );
  return rows.length;
}
