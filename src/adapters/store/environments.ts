// Environments: (tenant, name) key, placement split into cluster/namespace columns, status fields
// (revisions, health, conditions) next to the spec; resource_version guards PATCH like tenants.
import { NotFoundError, PreconditionFailedError } from '../../domain/errors.ts';
import type { Condition, DeliveryMode, Environment, EnvironmentType, Health } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import type { EnvironmentRepo, Page, PageRequest } from '../../domain/ports/store.ts';
import { iso, json, jsonParam, mapErrors, pageQuery, setClauses, strOrNull, toPage, type PatchColumns, type Row } from './sql.ts';

const COLUMNS = `tenant, name, type, blueprint, version, "values", cluster, namespace, delivery, self_heal,
  desired_revision, applied_revision, last_good_revision, health, conditions, resource_version, created_at, updated_at`;

/** PATCH key -> column; the queue's lease-fenced status writes use the status subset (queue/environment.ts). */
export const ENVIRONMENT_PATCH: PatchColumns = {
  type: ['type', 'text'],
  blueprint: ['blueprint', 'text'],
  version: ['version', 'text'],
  values: ['"values"', 'json'],
  cluster: ['cluster', 'text'],
  namespace: ['namespace', 'text'],
  delivery: ['delivery', 'text'],
  selfHeal: ['self_heal', 'bool'],
  desiredRevision: ['desired_revision', 'text'],
  appliedRevision: ['applied_revision', 'text'],
  lastGoodRevision: ['last_good_revision', 'text'],
  health: ['health', 'text'],
  conditions: ['conditions', 'json'],
};

export function toEnvironment(r: Row): Environment {
  return {
    tenant: String(r.tenant),
    name: String(r.name),
    type: r.type as EnvironmentType,
    blueprint: String(r.blueprint),
    version: String(r.version),
    values: json(r.values, {}),
    placement: { cluster: String(r.cluster), namespace: String(r.namespace) },
    delivery: r.delivery as DeliveryMode,
    selfHeal: Boolean(r.self_heal),
    desiredRevision: strOrNull(r.desired_revision),
    appliedRevision: strOrNull(r.applied_revision),
    lastGoodRevision: strOrNull(r.last_good_revision),
    health: r.health as Health,
    conditions: json<Condition[]>(r.conditions, []),
    resourceVersion: Number(r.resource_version),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function environmentRepo(q: Queryable): EnvironmentRepo {
  return {
    create: (e) => createEnvironment(q, e),
    get: (tenant, name) => getEnvironment(q, tenant, name),
    list: (f) => listEnvironments(q, f),
    listOfVisibleTenant: (tenant, page) => listOfVisibleTenant(q, tenant, page),
    update: (tenant, name, patch, expectedVersion) => updateEnvironment(q, { tenant, name }, patch, expectedVersion),
    delete: (tenant, name) => deleteEnvironment(q, tenant, name),
  };
}

async function createEnvironment(q: Queryable, e: Omit<Environment, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Environment> {
  const sql = `INSERT INTO environments (tenant, name, type, blueprint, version, "values", cluster, namespace, delivery,
      self_heal, desired_revision, applied_revision, last_good_revision, health, conditions)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb) RETURNING ${COLUMNS}`;
  const params = [
    e.tenant, e.name, e.type, e.blueprint, e.version, jsonParam(e.values ?? {}), e.placement.cluster, e.placement.namespace, e.delivery,
    e.selfHeal ?? true, e.desiredRevision ?? null, e.appliedRevision ?? null, e.lastGoodRevision ?? null, e.health ?? 'Unknown', jsonParam(e.conditions ?? []),
  ];
  const { rows } = await mapErrors(() => q.query<Row>(sql, params), {
    conflict: `environment "${e.tenant}/${e.name}" already exists`,
    field: '/name',
    missingParent: `tenant "${e.tenant}" not found`,
  });
  return toEnvironment(rows[0]!);
}

async function getEnvironment(q: Queryable, tenant: string, name: string): Promise<Environment | null> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM environments WHERE tenant = $1 AND name = $2`, [tenant, name]);
  return rows[0] ? toEnvironment(rows[0]) : null;
}

async function listEnvironments(q: Queryable, f: PageRequest & { tenant?: string; cluster?: string }): Promise<Page<Environment>> {
  const { limit, after } = pageQuery(f, 2);
  const params = [after?.[0] ?? null, after?.[1] ?? null, f.tenant ?? null, f.cluster ?? null, limit + 1];
  const sql = `SELECT ${COLUMNS} FROM environments
    WHERE ($1::text IS NULL OR (tenant, name) > ($1::text, $2::text))
      AND ($3::text IS NULL OR tenant = $3) AND ($4::text IS NULL OR cluster = $4)
    ORDER BY tenant, name LIMIT $5`;
  const { rows } = await q.query<Row>(sql, params);
  return toPage(rows, limit, toEnvironment, (r) => [String(r.tenant), String(r.name)]);
}

/**
 * The tenant row (not offboarded) joined with one page of its environments: no row = the tenant is not
 * visible; one row of NULLs = a visible tenant with an empty page. One round trip instead of two (the
 * list route's cost at 1,000 requests/s, bench/api.bench.ts). A cursor that does not decode is the
 * same 400 as list's, after the tenant's 404 (the order the route had with two reads).
 */
async function listOfVisibleTenant(q: Queryable, tenant: string, req: PageRequest): Promise<Page<Environment> | null> {
  let page: ReturnType<typeof pageQuery>;
  try {
    page = pageQuery(req, 2);
  } catch (err) {
    const { rows } = await q.query('SELECT 1 FROM tenants WHERE slug = $1 AND deleted_at IS NULL', [tenant]);
    if (rows.length === 0) return null;
    throw err;
  }
  const { limit, after } = page;
  const sql = `SELECT e.* FROM tenants t LEFT JOIN LATERAL (
      SELECT ${COLUMNS} FROM environments
      WHERE tenant = t.slug AND ($2::text IS NULL OR (tenant, name) > ($2::text, $3::text))
      ORDER BY tenant, name LIMIT $4) e ON true
    WHERE t.slug = $1 AND t.deleted_at IS NULL
    ORDER BY e.name`;
  const { rows } = await q.query<Row>(sql, [tenant, after?.[0] ?? null, after?.[1] ?? null, limit + 1]);
  if (rows.length === 0) return null;
  const found = rows.filter((r) => r.tenant !== null && r.tenant !== undefined);
  return toPage(found, limit, toEnvironment, (r) => [String(r.tenant), String(r.name)]);
}

async function updateEnvironment(
  q: Queryable, key: { tenant: string; name: string }, patch: Partial<Environment>, expectedVersion?: number,
): Promise<Environment> {
  const flat: Record<string, unknown> = { ...patch, ...(patch.placement ?? {}) };
  const params: unknown[] = [key.tenant, key.name, expectedVersion ?? null];
  const sets = setClauses(flat, ENVIRONMENT_PATCH, params);
  sets.push('resource_version = resource_version + 1', 'updated_at = now()');
  const sql = `UPDATE environments SET ${sets.join(', ')}
    WHERE tenant = $1 AND name = $2 AND ($3::int IS NULL OR resource_version = $3) RETURNING ${COLUMNS}`;
  const { rows } = await q.query<Row>(sql, params);
  if (rows[0]) return toEnvironment(rows[0]);
  const current = await getEnvironment(q, key.tenant, key.name);
  if (!current) throw new NotFoundError(`environment "${key.tenant}/${key.name}" not found`);
  throw new PreconditionFailedError(`environment "${key.tenant}/${key.name}" is at version ${current.resourceVersion}, not ${expectedVersion}`, [
    { field: 'If-Match', message: 'stale resource version' },
  ]);
}

/** Idempotent hard delete; revisions stay (history, rollback targets of a re-created environment). */
async function deleteEnvironment(q: Queryable, tenant: string, name: string): Promise<void> {
  await q.query('DELETE FROM environments WHERE tenant = $1 AND name = $2', [tenant, name]);
}
