// CloudEvent dedupe and the append-only audit log (the table refuses UPDATE/DELETE, migration 001).
import type { Queryable } from './db.ts';
import type { AuditRecord, Page, PageRequest, Store } from '../../domain/ports/store.ts';
import { iso, json, jsonParam, pageQuery, strOrNull, toPage, type Row } from './sql.ts';

export type AuditEntry = AuditRecord;

export function eventRepo(q: Queryable): Store['events'] {
  return {
    async recordOnce(source, id, type) {
      const { rows } = await q.query(
        'INSERT INTO cloud_events (source, id, type) VALUES ($1, $2, $3) ON CONFLICT (source, id) DO NOTHING RETURNING id',
        [source, id, type],
      );
      return rows.length === 1;
    },
  };
}

export interface AuditRepo {
  append: Store['audit']['append'];
  /** Newest first. */
  list(req: PageRequest & { tenant?: string }): Promise<Page<AuditEntry>>;
}

export function auditRepo(q: Queryable): AuditRepo {
  return {
    async append(e) {
      await q.query('INSERT INTO audit_log (actor, action, tenant, target, detail) VALUES ($1, $2, $3, $4, $5::jsonb)', [
        e.actor, e.action, e.tenant ?? null, e.target, jsonParam(e.detail ?? {}),
      ]);
    },
    async list(req) {
      const { limit, after } = pageQuery(req, 1);
      const { rows } = await q.query<Row>(
        `SELECT seq::text AS seq_key, at, actor, action, tenant, target, detail FROM audit_log
         WHERE ($1::text IS NULL OR seq < $1::bigint) AND ($2::text IS NULL OR tenant = $2) ORDER BY seq DESC LIMIT $3`,
        [after?.[0] ?? null, req.tenant ?? null, limit + 1],
      );
      const map = (r: Row): AuditEntry => ({
        seq: String(r.seq_key), at: iso(r.at), actor: String(r.actor), action: String(r.action), tenant: strOrNull(r.tenant),
        target: String(r.target), detail: json(r.detail, {}),
      });
      return toPage(rows, limit, map, (r) => [String(r.seq_key)]);
    },
  };
}
