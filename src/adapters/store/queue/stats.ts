// Read-only views: queue depth by state, step run history.
import type { Queryable } from '../db.ts';
import type { StepRun } from './types.ts';
import type { Row } from './rows.ts';

export async function depth(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<Row>('SELECT state, count(*)::int AS n FROM operations GROUP BY state');
  const out: Record<string, number> = { pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const r of rows) out[String(r.state)] = Number(r.n);
  return out;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export async function stepRuns(q: Queryable, operationId?: string): Promise<StepRun[]> {
  const { rows } = await q.query<Row>(
    `SELECT operation_id, step, attempt, worker_id, state, started_at, finished_at, error FROM operation_step_runs
     WHERE $1::text IS NULL OR operation_id = $1 ORDER BY seq`, [operationId ?? null]);
  return rows.map((r) => ({
    operationId: String(r.operation_id), step: String(r.step), attempt: Number(r.attempt), workerId: String(r.worker_id),
    state: String(r.state), startedAt: iso(r.started_at), finishedAt: r.finished_at ? iso(r.finished_at) : null,
    error: (r.error as string | null) ?? null,
  }));
}

/** Age in seconds of the oldest held lease, or null when no operation is running. */
export async function oldestLeaseAge(q: Queryable): Promise<number | null> {
  const { rows } = await q.query<Row>(`SELECT EXTRACT(EPOCH FROM now() - min(locked_at))::float8 AS age FROM operations WHERE state = 'running'`);
  const age = rows[0]?.age;
  return age === null || age === undefined ? null : Number(age);
}
