// Environment bookkeeping next to the queue: the status columns the engine writes while it runs an
// operation (always lease-fenced: a Claim's setEnvironmentStatus), who holds it, drift reports (and
// the Drifted condition) from the reconcile loop, and the reconcile loop's reads.
import type { Queryable } from '../db.ts';
import type { Condition, Environment } from '../../../domain/types.ts';
import type { EnvironmentStatusPatch } from '../../../domain/ports/queue.ts';
import { ENVIRONMENT_PATCH } from '../environments.ts';
import { jsonParam, setClauses, type PatchColumns } from '../sql.ts';
import { ENVIRONMENT_COLUMNS, leaseHeld, toEnvironment, type LeaseRef, type Row } from './rows.ts';

const STATUS_KEYS: ReadonlyArray<keyof EnvironmentStatusPatch> = [
  'health', 'conditions', 'desiredRevision', 'appliedRevision', 'lastGoodRevision', 'cluster', 'namespace', 'version', 'values',
];
const STATUS_COLUMNS: PatchColumns = Object.fromEntries(STATUS_KEYS.map((k) => [k, ENVIRONMENT_PATCH[k]!]));

/** Writes status columns while `lease` holds; the updated environment, or null (lease lost, no such environment). */
export async function setEnvironmentStatus(
  q: Queryable, key: { tenant: string; environment: string }, patch: EnvironmentStatusPatch, lease: LeaseRef,
): Promise<Environment | null> {
  const params: unknown[] = [key.tenant, key.environment, lease.id, lease.token];
  const sets = ['resource_version = resource_version + 1', 'updated_at = now()', ...setClauses(patch as Record<string, unknown>, STATUS_COLUMNS, params)];
  const { rows } = await q.query<Row>(
    `UPDATE environments SET ${sets.join(', ')} WHERE tenant = $1 AND name = $2 AND ${leaseHeld(3, 4)} RETURNING ${ENVIRONMENT_COLUMNS}`, params);
  return rows[0] ? toEnvironment(rows[0]) : null;
}

export async function listEnvironments(q: Queryable, after: { tenant: string; name: string } | null, limit: number): Promise<Array<Environment & { heldBy: string | null }>> {
  const { rows } = await q.query<Row>(
    `SELECT ${ENVIRONMENT_COLUMNS} FROM environments WHERE ($1::text IS NULL OR (tenant, name) > ($1, $2))
     ORDER BY tenant, name LIMIT $3`,
    [after?.tenant ?? null, after?.name ?? '', limit],
  );
  return rows.map(toEnvironment);
}

export async function holder(q: Queryable, tenant: string, environment: string): Promise<string | null> {
  const { rows } = await q.query<Row>('SELECT held_by FROM environments WHERE tenant = $1 AND name = $2', [tenant, environment]);
  return (rows[0]?.held_by as string | null | undefined) ?? null;
}

/** The reconcile loop's finding, and with `conditions` the environment's Drifted condition in the same statement. */
export async function recordDrift(q: Queryable, tenant: string, environment: string, report: Record<string, unknown> | null, conditions?: Condition[]): Promise<void> {
  const withConditions = conditions ? ', conditions = $4::jsonb, resource_version = resource_version + 1, updated_at = now()' : '';
  await q.query(`UPDATE environments SET drift = $3::jsonb, drift_checked_at = now()${withConditions} WHERE tenant = $1 AND name = $2`,
    [tenant, environment, jsonParam(report), ...(conditions ? [jsonParam(conditions)] : [])]);
}

export async function busy(q: Queryable, tenant: string, environment: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM operations WHERE tenant = $1 AND environment = $2 AND state IN ('pending', 'running') LIMIT 1`, [tenant, environment]);
  return rows.length > 0;
}
