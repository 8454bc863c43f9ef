// claim: take the next runnable operation with a lease. Runnable = pending with run_at <= now, or
// running with an expired lease (its worker died). Only the oldest unfinished operation of an
// environment is eligible, which serializes work per environment even when two workers claim at
// the same moment (the second one sees the first's row locked and skips it; the newer operations
// of that environment are not eligible at all). A tenant-level operation (environment NULL, e.g.
// offboarding the tenant) is ordered against every operation of the tenant.
// Among due operations the oldest goes first (priority, then seq): a parked or backed-off operation
// keeps its place in line instead of going behind everything queued after it.
// FOR UPDATE SKIP LOCKED, as graphile-worker does. The states a claim starts from and leads to
// come from the operation state machine (domain/state.ts).
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db.ts';
import { edgeSql } from './guards.ts';
import type { Operation, OperationKind } from '../../../domain/types.ts';
import { toOperation } from '../operations.ts';
import { iso } from '../sql.ts';
import { OPERATION_COLUMNS, type Row } from './rows.ts';

const CLAIM = edgeSql('claim');

const SQL = `
WITH candidate AS (
  SELECT o.id FROM operations o
  WHERE o.state IN (${CLAIM.from})
    AND (o.state <> ${CLAIM.to} OR o.lease_expires_at < now())
    AND o.run_at <= now()
    AND ($2::text[] IS NULL OR o.kind = ANY($2::text[]))
    AND NOT EXISTS (
      SELECT 1 FROM operations e
      WHERE e.tenant = o.tenant
        AND (e.environment IS NOT DISTINCT FROM o.environment OR e.environment IS NULL OR o.environment IS NULL)
        AND e.state IN ('pending', 'running') AND e.seq < o.seq)
  ORDER BY o.priority DESC, o.seq
  LIMIT 1
  FOR UPDATE SKIP LOCKED
)
UPDATE operations o SET
  state = ${CLAIM.to}, locked_by = $1, locked_at = now(), lease_token = $3,
  lease_expires_at = now() + make_interval(secs => $4::double precision / 1000),
  attempts = o.attempts + 1, updated_at = now()
FROM candidate WHERE o.id = candidate.id
RETURNING ${OPERATION_COLUMNS.split(',').map((c) => `o.${c.trim()}`).join(', ')}`;

export interface ClaimedRow {
  operation: Operation;
  leaseToken: string;
  leaseExpiresAt: string;
  maxAttempts: number;
}

export async function claim(q: Queryable, workerId: string, leaseMs: number, kinds?: OperationKind[]): Promise<ClaimedRow | null> {
  const token = randomUUID();
  const { rows } = await q.query<Row>(SQL, [workerId, kinds && kinds.length > 0 ? kinds : null, token, leaseMs]);
  const r = rows[0];
  if (!r) return null;
  return { operation: toOperation(r), leaseToken: String(r.lease_token), leaseExpiresAt: iso(r.lease_expires_at), maxAttempts: Number(r.max_attempts) };
}
