// fail: a step failed and the engine decided (plan/workflows.ts afterStepFailure, the one rule for
// retry or fail) what follows; this only carries it out. retry: back to pending with run_at pushed
// out by exponential backoff with jitter, capped, computed in SQL from the attempt count (as
// graphile-worker's failJobs does), or at the given retryAt (the cluster's Retry-After); otherwise
// failed for good. State guards and targets come from the operation state machine (domain/state.ts).
import type { Queryable } from '../db.ts';
import type { FailOptions, FailOutcome, RetryPolicy } from '../../../domain/ports/queue.ts';
import { edgeSql } from './guards.ts';
import { iso } from '../sql.ts';
import type { Row } from './rows.ts';

const RETRY = edgeSql('retry');
const FAIL = edgeSql('fail');
const RELEASE = edgeSql('release');

const sqlFor = (edge: { from: string; to: string }): string => `
UPDATE operations SET
  state = ${edge.to},
  run_at = CASE WHEN $4 THEN COALESCE($5::timestamptz,
    now() + make_interval(secs => least($7::double precision, $6::double precision * power(2, greatest(attempts - 1, 0)))
                                   * (0.5 + random() * 0.5) / 1000)) ELSE run_at END,
  finished_at = CASE WHEN $4 THEN NULL ELSE now() END,
  result = COALESCE($8::jsonb, result),
  error = $3, updated_at = now(),
  lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
WHERE id = $1 AND lease_token = $2 AND state IN (${edge.from})
RETURNING state, run_at`;
const RETRY_SQL = sqlFor(RETRY);
const FAIL_SQL = sqlFor(FAIL);

export async function fail(q: Queryable, policy: RetryPolicy, args: { id: string; leaseToken: string; error: string; opts?: FailOptions | undefined }): Promise<FailOutcome> {
  const { id, leaseToken, error, opts } = args;
  const retry = opts?.retry ?? true;
  const { rows } = await q.query<Row>(retry ? RETRY_SQL : FAIL_SQL, [
    id, leaseToken, error, retry, opts?.retryAt ?? null, policy.baseMs, policy.maxMs,
    opts?.result ? JSON.stringify(opts.result) : null,
  ]);
  const r = rows[0];
  if (!r) return null;
  if (r.state === 'failed') return { state: 'failed' };
  return { state: 'pending', runAt: iso(r.run_at) };
}

/**
 * release: hand the operation back without using up an attempt: on a graceful stop (at once), or
 * to park a step that waits on the cluster (runnable again after `delayMs`).
 */
export async function release(q: Queryable, id: string, leaseToken: string, delayMs = 0): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE operations SET state = ${RELEASE.to}, attempts = greatest(attempts - 1, 0), updated_at = now(),
       run_at = now() + make_interval(secs => $3::double precision / 1000),
       lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
     WHERE id = $1 AND lease_token = $2 AND state IN (${RELEASE.from}) RETURNING 1`,
    [id, leaseToken, Math.max(0, delayMs)],
  );
  return rows.length > 0;
}
