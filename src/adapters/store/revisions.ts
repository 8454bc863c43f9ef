// Revisions: content-addressed (the id is a hash of the rendered set), so save() is idempotent.
import type { HelmValuesFile, RenderedObject, Revision } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import type { Store } from '../../domain/ports/store.ts';
import { iso, json, jsonParam, type Row } from './sql.ts';

export function revisionRepo(q: Queryable): Store['revisions'] {
  return {
    async save(r) {
      await q.query(
        `INSERT INTO revisions (tenant, environment, id, blueprint, version, objects, helm_values)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) ON CONFLICT (tenant, environment, id) DO NOTHING`,
        [r.tenant, r.environment, r.id, r.blueprint, r.version, jsonParam(r.objects), jsonParam(r.helmValues ?? [])],
      );
    },
    async get(tenant, environment, id) {
      const { rows } = await q.query<Row>(
        'SELECT tenant, environment, id, blueprint, version, objects, helm_values, created_at FROM revisions WHERE tenant = $1 AND environment = $2 AND id = $3',
        [tenant, environment, id],
      );
      const r = rows[0];
      if (!r) return null;
      const rev: Revision = {
        id: String(r.id), tenant: String(r.tenant), environment: String(r.environment), blueprint: String(r.blueprint), version: String(r.version),
        objects: json<RenderedObject[]>(r.objects, []), helmValues: json<HelmValuesFile[]>(r.helm_values, []), createdAt: iso(r.created_at),
      };
      return rev;
    },
    /** Newest first. */
    async list(tenant, environment) {
      const { rows } = await q.query<Row>(
        'SELECT id, version, created_at FROM revisions WHERE tenant = $1 AND environment = $2 ORDER BY seq DESC',
        [tenant, environment],
      );
      return rows.map((r) => ({ id: String(r.id), version: String(r.version), createdAt: iso(r.created_at) }));
    },
  };
}
