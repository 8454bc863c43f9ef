// Blueprint releases are immutable: (name, version) is written once. Re-publishing the same digest
// is an idempotent no-op; a different digest under a released version is a ConflictError.
import { ConflictError } from '../../domain/errors.ts';
import type { Queryable } from './db.ts';
import type { BlueprintRelease, Page, PageRequest, Store } from '../../domain/ports/store.ts';
import { iso, json, jsonParam, pageQuery, toPage, type Row } from './sql.ts';

const COLUMNS = 'name, version, spec, digest, created_at, rejected';

export function toRelease(r: Row): BlueprintRelease {
  return { name: String(r.name), version: String(r.version), spec: json(r.spec, {}), digest: String(r.digest), createdAt: iso(r.created_at), rejected: r.rejected ? json(r.rejected, null) : null };
}

export function blueprintRepo(q: Queryable): Store['blueprints'] {
  const get = async (name: string, version: string) => {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM blueprint_releases WHERE name = $1 AND version = $2`, [name, version]);
    return rows[0] ? toRelease(rows[0]) : null;
  };
  return {
    get,
    async publish(b) {
      const { rows } = await q.query<Row>(
        `INSERT INTO blueprint_releases (name, version, spec, digest) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (name, version) DO NOTHING RETURNING ${COLUMNS}`,
        [b.name, b.version, jsonParam(b.spec), b.digest],
      );
      if (rows[0]) return { release: toRelease(rows[0]), created: true };
      const existing = (await get(b.name, b.version))!;
      if (existing.digest !== b.digest) {
        const msg = `blueprint ${b.name}@${b.version} is already released with digest ${existing.digest}; releases are immutable, publish a new version`;
        throw new ConflictError(msg, [{ field: '/version', message: 'already released with different content' }]);
      }
      return { release: existing, created: false };
    },
    list: (req) => listReleases(q, req),
    async reject(name, version, why) {
      const r = await q.query<Row>(`UPDATE blueprint_releases SET rejected = COALESCE(rejected, $3::jsonb) WHERE name = $1 AND version = $2 RETURNING name`, [name, version, jsonParam(why)]);
      return r.rows.length > 0;
    },
    async clearRejection(name, version) {
      const r = await q.query<Row>(`UPDATE blueprint_releases SET rejected = NULL WHERE name = $1 AND version = $2 RETURNING name`, [name, version]);
      return r.rows.length > 0;
    },
  };
}

async function listReleases(q: Queryable, req: PageRequest & { name?: string }): Promise<Page<BlueprintRelease>> {
  const { limit, after } = pageQuery(req, 2);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM blueprint_releases
     WHERE ($1::text IS NULL OR (name, version) > ($1::text, $2::text)) AND ($3::text IS NULL OR name = $3)
     ORDER BY name, version LIMIT $4`,
    [after?.[0] ?? null, after?.[1] ?? null, req.name ?? null, limit + 1],
  );
  return toPage(rows, limit, toRelease, (r) => [String(r.name), String(r.version)]);
}
