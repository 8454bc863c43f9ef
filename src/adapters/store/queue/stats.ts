// Read-only views of the queue: depth by state, the oldest claim, step run history.
import type { Queryable } from '../db.ts';
import type { StepRun } from '../../../domain/ports/queue.ts';
import { iso, isoOrNull, strOrNull } from '../sql.ts';
import type { Row } from './rows.ts';

export async function depth(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<Row>('SELECT state, count(*)::int AS n FROM operations GROUP BY state');
  const out: Record<string, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[String(r.state)] = Number(r.n);
  return out;
}

export async function stepRuns(q: Queryable, operationId?: string): Promise<StepRun[]> {
  const { rows } = await q.query<Row>(
    `SELECT operation_id, step, attempt, worker_id, state, started_at, finished_at, error FROM operation_step_runs
     WHERE $1::text IS NULL OR operation_id = $1 ORDER BY seq`, [operationId ?? null]);
  return rows.map((r) => ({
    operationId: String(r.operation_id), step: String(r.step), attempt: Number(r.attempt), workerId: String(r.worker_id),
    state: String(r.state), startedAt: iso(r.started_at), finishedAt: isoOrNull(r.finished_at), error: strOrNull(r.error),
  }));
}

/**
 * Seconds since the oldest claim (locked_at) on a running operation, or null when none runs. The one
 * query behind fleetplane_queue_oldest_lease_age_seconds. Deliberately not limited to live leases:
 * a running operation whose lease ran out without another worker taking it over (its worker died,
 * no other worker runs) blocks its environment just as a hanging step does, and the
 * FleetplaneLeaseStuck alert must keep firing for it (docs/runbooks/control-plane.md). A re-claim
 * resets locked_at, and a parked step gives its claim back, so a healthy queue never shows old claims.
 */
export async function oldestLeaseAge(q: Queryable): Promise<number | null> {
  const { rows } = await q.query<Row>(
    `SELECT EXTRACT(EPOCH FROM now() - min(locked_at))::float8 AS age FROM operations WHERE state = 'running' AND locked_at IS NOT NULL`);
  const age = rows[0]?.age;
  // Clock steps between the claim and now() must not report a negative age.
  return age === null || age === undefined ? null : Math.max(0, Number(age));
}
