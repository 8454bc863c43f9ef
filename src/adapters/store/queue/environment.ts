// Environment status written by the engine (health, conditions, revisions, placement), holds set by
// rollouts, drift reports from the reconcile loop. Worker writes are fenced by their lease.
import type { Queryable } from '../db.ts';
import type { Environment } from '../../../domain/types.ts';
import type { EnvironmentStatusPatch, Lease } from './types.ts';
import { ENVIRONMENT_COLUMNS, toEnvironment, type Row } from './rows.ts';

const COLUMNS: Record<keyof EnvironmentStatusPatch, [string, boolean]> = {
  health: ['health', false],
  conditions: ['conditions', true],
  desiredRevision: ['desired_revision', false],
  appliedRevision: ['applied_revision', false],
  lastGoodRevision: ['last_good_revision', false],
  cluster: ['cluster', false],
  namespace: ['namespace', false],
  version: ['version', false],
  values: ['"values"', true],
};

export async function updateEnvironment(
  q: Queryable, key: { tenant: string; environment: string }, patch: EnvironmentStatusPatch, lease?: Pick<Lease, 'operationId' | 'leaseToken'>,
): Promise<Environment | null> {
  const params: unknown[] = [key.tenant, key.environment];
  const sets: string[] = ['resource_version = resource_version + 1', 'updated_at = now()'];
  for (const [k, [col, isJson]] of Object.entries(COLUMNS) as Array<[keyof EnvironmentStatusPatch, [string, boolean]]>) {
    if (patch[k] === undefined) continue;
    params.push(isJson ? JSON.stringify(patch[k]) : patch[k]);
    sets.push(`${col} = $${params.length}${isJson ? '::jsonb' : ''}`);
  }
  let fence = '';
  if (lease) {
    params.push(lease.operationId, lease.leaseToken);
    fence = ` AND EXISTS (SELECT 1 FROM operations WHERE id = $${params.length - 1} AND lease_token = $${params.length} AND state = 'running')`;
  }
  const { rows } = await q.query<Row>(
    `UPDATE environments SET ${sets.join(', ')} WHERE tenant = $1 AND name = $2${fence} RETURNING ${ENVIRONMENT_COLUMNS}`, params);
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

export async function setHold(q: Queryable, tenant: string, environment: string, by: string | null): Promise<void> {
  await q.query('UPDATE environments SET held_by = $3, updated_at = now() WHERE tenant = $1 AND name = $2', [tenant, environment, by]);
}

export async function recordDrift(q: Queryable, tenant: string, environment: string, report: Record<string, unknown> | null): Promise<void> {
  await q.query('UPDATE environments SET drift = $3::jsonb, drift_checked_at = now() WHERE tenant = $1 AND name = $2',
    [tenant, environment, report ? JSON.stringify(report) : null]);
}

export async function busy(q: Queryable, tenant: string, environment: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM operations WHERE tenant = $1 AND environment = $2 AND state IN ('pending', 'running') LIMIT 1`, [tenant, environment]);
  return rows.length > 0;
}
