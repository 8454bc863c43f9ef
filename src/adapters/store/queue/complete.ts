// complete: the operation succeeded; drops the lease. State guard and target from the operation
// state machine (domain/state.ts).
import type { Queryable } from '../db.ts';
import { edgeSql } from './guards.ts';

const SUCCEED = edgeSql('succeed');

export async function complete(q: Queryable, id: string, leaseToken: string, result: Record<string, unknown>): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE operations SET state = ${SUCCEED.to}, result = $3::jsonb, error = NULL, finished_at = now(), updated_at = now(),
       lease_token = NULL, lease_expires_at = NULL, locked_by = NULL, locked_at = NULL
     WHERE id = $1 AND lease_token = $2 AND state IN (${SUCCEED.from}) RETURNING 1`,
    [id, leaseToken, JSON.stringify(result)],
  );
  return rows.length > 0;
}
