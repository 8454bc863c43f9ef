// Tenants: slug is the primary key; soft delete (deleted_at); resource_version bumps on every write
// and guards PATCH (optimistic concurrency: a stale expectedVersion is a PreconditionFailedError).
import { NotFoundError, PreconditionFailedError } from '../../domain/errors.ts';
import type { Channel, MaintenanceWindow, Tenant, Tier } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import type { Page, PageRequest, TenantRepo } from '../../domain/ports/store.ts';
import { iso, isoOrNull, json, jsonParam, mapErrors, pageQuery, setClauses, toPage, type PatchColumns, type Row } from './sql.ts';

const COLUMNS = 'slug, name, tier, channel, labels, region, maintenance_window, resource_version, created_at, updated_at, deleted_at';

const PATCH: PatchColumns = {
  name: ['name', 'text'],
  tier: ['tier', 'text'],
  channel: ['channel', 'text'],
  labels: ['labels', 'json'],
  region: ['region', 'text'],
  maintenanceWindow: ['maintenance_window', 'json'],
};

export function toTenant(r: Row): Tenant {
  const t: Tenant = {
    slug: String(r.slug),
    name: String(r.name),
    tier: r.tier as Tier,
    channel: r.channel as Channel,
    labels: json(r.labels, {}),
    resourceVersion: Number(r.resource_version),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    deletedAt: isoOrNull(r.deleted_at),
  };
  if (r.region !== null && r.region !== undefined) t.region = String(r.region);
  if (r.maintenance_window !== null && r.maintenance_window !== undefined) t.maintenanceWindow = json<MaintenanceWindow>(r.maintenance_window, { days: [], start: '00:00', durationMinutes: 0 });
  return t;
}

export type TenantListRequest = PageRequest & { tenant?: string; includeDeleted?: boolean };

export function tenantRepo(q: Queryable): TenantRepo {
  return {
    create: (t) => createTenant(q, t),
    get: (slug) => getTenant(q, slug),
    list: (req) => listTenants(q, req),
    update: (slug, patch, expectedVersion) => updateTenant(q, slug, patch, expectedVersion),
    markDeleted: (slug) => markDeleted(q, slug),
  };
}

async function createTenant(q: Queryable, t: Omit<Tenant, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Tenant> {
  const sql = `INSERT INTO tenants (slug, name, tier, channel, labels, region, maintenance_window)
    VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb) RETURNING ${COLUMNS}`;
  const params = [t.slug, t.name, t.tier, t.channel, jsonParam(t.labels ?? {}), t.region ?? null, jsonParam(t.maintenanceWindow)];
  const { rows } = await mapErrors(() => q.query<Row>(sql, params), { conflict: `tenant "${t.slug}" already exists`, field: '/slug' });
  return toTenant(rows[0]!);
}

/** Returns soft-deleted tenants too (deletedAt set): callers decide whether that is a 404. */
async function getTenant(q: Queryable, slug: string): Promise<Tenant | null> {
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM tenants WHERE slug = $1`, [slug]);
  return rows[0] ? toTenant(rows[0]) : null;
}

async function listTenants(q: Queryable, req: TenantListRequest): Promise<Page<Tenant>> {
  const { limit, after } = pageQuery(req, 1);
  const params: unknown[] = [after?.[0] ?? null, req.tenant ?? null, req.includeDeleted === true, limit + 1];
  const sql = `SELECT ${COLUMNS} FROM tenants
    WHERE ($1::text IS NULL OR slug > $1) AND ($2::text IS NULL OR slug = $2) AND ($3::boolean OR deleted_at IS NULL)
    ORDER BY slug LIMIT $4`;
  const { rows } = await q.query<Row>(sql, params);
  return toPage(rows, limit, toTenant, (r) => [String(r.slug)]);
}

async function updateTenant(q: Queryable, slug: string, patch: Partial<Tenant>, expectedVersion?: number): Promise<Tenant> {
  const params: unknown[] = [slug, expectedVersion ?? null];
  const sets = setClauses(patch as Record<string, unknown>, PATCH, params);
  sets.push('resource_version = resource_version + 1', 'updated_at = now()');
  const sql = `UPDATE tenants SET ${sets.join(', ')}
    WHERE slug = $1 AND deleted_at IS NULL AND ($2::int IS NULL OR resource_version = $2) RETURNING ${COLUMNS}`;
  const { rows } = await q.query<Row>(sql, params);
  if (rows[0]) return toTenant(rows[0]);
  const current = await getTenant(q, slug);
  if (!current || current.deletedAt) throw new NotFoundError(`tenant "${slug}" not found`);
  throw new PreconditionFailedError(`tenant "${slug}" is at version ${current.resourceVersion}, not ${expectedVersion}`, [{ field: 'If-Match', message: 'stale resource version' }]);
}

/** Idempotent: deleting a deleted or unknown tenant changes nothing. */
async function markDeleted(q: Queryable, slug: string): Promise<void> {
  await q.query(`UPDATE tenants SET deleted_at = now(), updated_at = now(), resource_version = resource_version + 1
    WHERE slug = $1 AND deleted_at IS NULL`, [slug]);
}
