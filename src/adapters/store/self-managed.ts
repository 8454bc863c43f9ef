// Licenses and install reports of the self-managed channel (Store.selfManaged), migration 310.
import type { SelfManagedRepo, StoredInstallReport, StoredLicense } from '../../domain/ports/self-managed.ts';
import type { Queryable } from './db.ts';
import { iso, json, jsonParam, pageQuery, toPage, type Row } from './sql.ts';

const licenseOf = (r: Row): StoredLicense => ({ tenant: String(r.tenant), document: json(r.license, {}), expiresAt: iso(r.expires_at), updatedAt: iso(r.updated_at) });

const reportOf = (r: Row): StoredInstallReport => ({
  id: String(r.report_id), tenant: String(r.tenant), environment: String(r.environment), revision: String(r.revision), version: String(r.version),
  result: String(r.result), via: r.via as 'online' | 'import', reportedAt: iso(r.reported_at), receivedAt: iso(r.received_at), report: json(r.report, {}),
});

export function selfManagedRepo(q: Queryable): SelfManagedRepo {
  return {
    async putLicense(tenant, document, expiresAt) {
      const { rows } = await q.query<Row>(
        `INSERT INTO licenses (tenant, license, expires_at) VALUES ($1, $2::jsonb, $3)
         ON CONFLICT (tenant) DO UPDATE SET license = EXCLUDED.license, expires_at = EXCLUDED.expires_at, updated_at = now() RETURNING *`,
        [tenant, jsonParam(document), expiresAt],
      );
      return licenseOf(rows[0]!);
    },
    async getLicense(tenant) {
      const { rows } = await q.query<Row>('SELECT * FROM licenses WHERE tenant = $1', [tenant]);
      return rows[0] ? licenseOf(rows[0]) : null;
    },
    async recordReport(r) {
      const { rows } = await q.query<Row>(
        `INSERT INTO install_reports (tenant, environment, report_id, revision, version, result, via, reported_at, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT (tenant, report_id) DO NOTHING RETURNING *`,
        [r.tenant, r.environment, r.id, r.revision, r.version, r.result, r.via, r.reportedAt, jsonParam(r.report)],
      );
      if (rows[0]) return { report: reportOf(rows[0]), created: true };
      const old = await q.query<Row>('SELECT * FROM install_reports WHERE tenant = $1 AND report_id = $2', [r.tenant, r.id]);
      return { report: reportOf(old.rows[0]!), created: false };
    },
    async reports(tenant, req) {
      const { limit, after } = pageQuery(req, 1);
      const { rows } = await q.query<Row>(
        `SELECT *, seq::text AS seq_key FROM install_reports
         WHERE tenant = $1 AND ($2::text IS NULL OR environment = $2) AND ($3::text IS NULL OR seq < $3::bigint)
         ORDER BY seq DESC LIMIT $4`,
        [tenant, req.environment ?? null, after?.[0] ?? null, limit + 1],
      );
      return toPage(rows, limit, reportOf, (x) => [String(x.seq_key)]);
    },
    async installed(tenants) {
      if (tenants.length === 0) return [];
      const { rows } = await q.query<Row>(
        `SELECT DISTINCT ON (tenant, environment) * FROM install_reports
         WHERE tenant = ANY($1::text[]) AND result = 'installed' ORDER BY tenant, environment, reported_at DESC, seq DESC`,
        [tenants],
      );
      return rows.map(reportOf);
    },
  };
}
