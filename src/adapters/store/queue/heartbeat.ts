// heartbeat: extend a held lease. False when the lease is gone (re-claimed or the operation ended).
import type { Queryable } from '../db.ts';

export async function heartbeat(q: Queryable, id: string, leaseToken: string, leaseMs: number): Promise<boolean> {
  const { rows } = await q.query(
    `UPDATE operations SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING 1`,
    [id, leaseToken, leaseMs],
  );
  return rows.length > 0;
}
