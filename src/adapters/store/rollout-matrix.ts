// Read-only: one page of a rollout's tenant x wave matrix (GET /v1/rollouts/{id}/matrix). Rows are
// tenants, ordered by the first wave they appear in, then by slug (so rows come grouped by wave);
// each row carries its environments' targets. Paged by tenants, never the whole rollout at once.
import type { MatrixPage, MatrixRow } from '../../domain/fleet-report.ts';
import type { Queryable } from './db.ts';
import { decodeCursor, encodeCursor, pageLimit, type Row } from './sql.ts';

const SQL = `WITH tenants AS (
    SELECT tenant, min(wave) AS first_wave FROM rollout_targets WHERE rollout_id = $1 GROUP BY tenant
  ), page AS (
    SELECT tenant, first_wave FROM tenants
    WHERE ($2::int IS NULL OR (first_wave, tenant) > ($2::int, $3::text)) ORDER BY first_wave, tenant LIMIT $4
  )
  SELECT p.tenant, p.first_wave, t.environment, t.wave, t.state, t.reason, t.operation_id, t.from_version
  FROM page p JOIN rollout_targets t ON t.rollout_id = $1 AND t.tenant = p.tenant
  ORDER BY p.first_wave, p.tenant, t.wave, t.position`;

export async function matrixPage(q: Queryable, id: string, o: { limit?: number; cursor?: string }): Promise<MatrixPage> {
  const limit = pageLimit(o.limit);
  const after = decodeCursor(o.cursor, 2);
  const { rows } = await q.query<Row>(SQL, [id, after?.[0] ?? null, after?.[1] ?? null, limit + 1]);
  const out: MatrixRow[] = [];
  for (const r of rows) {
    let row = out[out.length - 1];
    if (!row || row.tenant !== String(r.tenant)) out.push((row = { tenant: String(r.tenant), firstWave: Number(r.first_wave), targets: [] }));
    row.targets.push({
      environment: String(r.environment), wave: Number(r.wave), state: String(r.state), reason: (r.reason as string | null) ?? null,
      operationId: (r.operation_id as string | null) ?? null, fromVersion: (r.from_version as string | null) ?? null,
    });
  }
  if (out.length <= limit) return { rows: out };
  const page = out.slice(0, limit);
  const last = page[page.length - 1]!;
  return { rows: page, next: encodeCursor([last.firstWave, last.tenant]) };
}

/** Targets per wave and state, counted in SQL: [{wave, state, n}]. */
export async function waveCounts(q: Queryable, id: string): Promise<Array<{ wave: number; state: string; n: number }>> {
  const { rows } = await q.query<Row>('SELECT wave, state, count(*)::int AS n FROM rollout_targets WHERE rollout_id = $1 GROUP BY wave, state ORDER BY wave, state', [id]);
  return rows.map((r) => ({ wave: Number(r.wave), state: String(r.state), n: Number(r.n) }));
}
