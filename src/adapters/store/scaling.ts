// Scaling policies and the pre-scaler's decisions (Store.scaling), tables of migration 100_scaling.sql.
// A policy and a decision are stored whole as jsonb next to the columns the queries filter on.
import type { ScalingDecision, ScalingPolicy } from '../../domain/scaling.ts';
import type { ScalingRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { json, jsonParam, pageQuery, toPage, type Row } from './sql.ts';

const decisionOf = (r: Row): ScalingDecision => ({ ...json<ScalingDecision>(r.decision, {} as ScalingDecision), id: String(r.seq_key) });

export function scalingRepo(q: Queryable): ScalingRepo {
  const decisions: ScalingRepo['decisions'] = async (tenant, environment, req) => {
    const { limit, after } = pageQuery(req, 1);
    const { rows } = await q.query<Row>(
      `SELECT seq::text AS seq_key, decision FROM scaling_decisions
       WHERE tenant = $1 AND environment = $2 AND ($3::text IS NULL OR seq < $3::bigint)
       ORDER BY seq DESC LIMIT $4`,
      [tenant, environment, after?.[0] ?? null, limit + 1],
    );
    return toPage(rows, limit, decisionOf, (r) => [String(r.seq_key)]);
  };
  return {
    async putPolicy(p) {
      await q.query(
        `INSERT INTO scaling_policies (tenant, environment, spec, mode) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (tenant, environment) DO UPDATE SET spec = EXCLUDED.spec, mode = EXCLUDED.mode, updated_at = now()`,
        [p.tenant, p.environment, jsonParam(p), p.mode],
      );
      return p;
    },
    async getPolicy(tenant, environment) {
      const { rows } = await q.query<Row>('SELECT spec FROM scaling_policies WHERE tenant = $1 AND environment = $2', [tenant, environment]);
      return rows[0] ? json<ScalingPolicy>(rows[0].spec, {} as ScalingPolicy) : null;
    },
    async enabledPolicies() {
      const { rows } = await q.query<Row>(`SELECT spec FROM scaling_policies WHERE mode <> 'off' ORDER BY tenant, environment`);
      return rows.map((r) => json<ScalingPolicy>(r.spec, {} as ScalingPolicy));
    },
    async record(d) {
      const { rows } = await q.query<Row>(
        `INSERT INTO scaling_decisions (tenant, environment, at, action, min_replicas, applied, decision)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING seq::text AS seq_key`,
        [d.tenant, d.environment, d.at, d.action, d.minReplicas, d.applied, jsonParam(d)],
      );
      return { ...d, id: String(rows[0]!.seq_key) };
    },
    decisions,
    latest: async (tenant, environment) => (await decisions(tenant, environment, { limit: 1 })).items[0] ?? null,
  };
}
