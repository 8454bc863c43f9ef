// complete: the operation succeeded; drops the lease.
import type { Queryable } from '../db.ts';

export async function complete(q: Queryable, id: string, leaseToken: string, result: Record<string, unknown>): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE operations SET state = 'succeeded', result = $3::jsonb, error = NULL, finished_at = now(), updated_at = now(),
       lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING 1`,
    [id, leaseToken, JSON.stringify(result)],
  );
  return rows.length > 0;
}
