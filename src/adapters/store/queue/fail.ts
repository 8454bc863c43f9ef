// fail: a step failed. With retry and attempts left, the operation goes back to pending with run_at
// pushed out by exponential backoff with jitter, capped, computed in SQL from its attempt count (as
// graphile-worker's failJobs does); otherwise it is failed for good.
import type { Queryable } from '../db.ts';
import type { FailOptions, FailOutcome, RetryPolicy } from '../../../domain/ports/queue.ts';
import { iso } from '../sql.ts';
import type { Row } from './rows.ts';

const SQL = `
UPDATE operations SET
  state = CASE WHEN $4 AND attempts < max_attempts THEN 'pending' ELSE 'failed' END,
  run_at = CASE WHEN $4 AND attempts < max_attempts THEN COALESCE($5::timestamptz,
    now() + make_interval(secs => least($7::double precision, $6::double precision * power(2, greatest(attempts - 1, 0)))
                                   * (0.5 + random() * 0.5) / 1000)) ELSE run_at END,
  finished_at = CASE WHEN $4 AND attempts < max_attempts THEN NULL ELSE now() END,
  result = COALESCE($8::jsonb, result),
  error = $3, updated_at = now(),
  lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
WHERE id = $1 AND lease_token = $2 AND state = 'running'
RETURNING state, run_at`;

export async function fail(q: Queryable, policy: RetryPolicy, args: { id: string; leaseToken: string; error: string; opts?: FailOptions | undefined }): Promise<FailOutcome> {
  const { id, leaseToken, error, opts } = args;
  const { rows } = await q.query<Row>(SQL, [
    id, leaseToken, error, opts?.retry ?? true, opts?.retryAt ?? null, policy.baseMs, policy.maxMs,
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
    `UPDATE operations SET state = 'pending', attempts = greatest(attempts - 1, 0), updated_at = now(),
       run_at = now() + make_interval(secs => $3::double precision / 1000),
       lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING 1`,
    [id, leaseToken, Math.max(0, delayMs)],
  );
  return rows.length > 0;
}
