// Kubernetes upgrade plans over clusters (migration 400). Every update compares the row's version,
// so two controllers (or an operator's pause racing the controller) never both write a step.
import { randomUUID } from 'node:crypto';
import type { ClusterUpgrade, ClusterUpgradePlan, ClusterUpgradeProgress, UpgradeState } from '../../domain/cluster-upgrade.ts';
import type { ClusterUpgradeRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { iso, json, pageQuery, toPage, type Row } from './sql.ts';

const COLUMNS = 'id, target, state, plan, progress, reason, version, created_at, updated_at';

function toUpgrade(r: Row): ClusterUpgrade {
  return {
    id: String(r.id), target: String(r.target), state: r.state as UpgradeState,
    plan: json<ClusterUpgradePlan>(r.plan, { target: '', waves: [], skipped: [], soakMs: 0, approval: false }),
    progress: json<Record<string, ClusterUpgradeProgress>>(r.progress, {}),
    reason: r.reason == null ? null : String(r.reason), version: Number(r.version),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

export function clusterUpgradeRepo(q: Queryable): ClusterUpgradeRepo {
  return {
    async create(plan, progress) {
      const { rows } = await q.query<Row>(
        `INSERT INTO cluster_upgrades (id, target, state, plan, progress) VALUES ($1, $2, 'running', $3::jsonb, $4::jsonb) RETURNING ${COLUMNS}`,
        [`cu-${randomUUID().slice(0, 8)}`, plan.target, JSON.stringify(plan), JSON.stringify(progress)],
      );
      return toUpgrade(rows[0]!);
    },
    async get(id) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM cluster_upgrades WHERE id = $1`, [id]);
      return rows[0] ? toUpgrade(rows[0]) : null;
    },
    async list(page) {
      const { limit, after } = pageQuery(page, 1);
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM cluster_upgrades WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
        [after?.[0] ?? null, limit + 1],
      );
      return toPage(rows, limit, toUpgrade, (r) => [String(r.id)]);
    },
    async running() {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM cluster_upgrades WHERE state = 'running' ORDER BY created_at`);
      return rows.map(toUpgrade);
    },
    async update(id, expectedVersion, patch) {
      const { rows } = await q.query<Row>(
        `UPDATE cluster_upgrades SET state = COALESCE($3, state), progress = COALESCE($4::jsonb, progress),
           reason = CASE WHEN $5::boolean THEN $6 ELSE reason END, version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $2 RETURNING ${COLUMNS}`,
        [id, expectedVersion, patch.state ?? null, patch.progress ? JSON.stringify(patch.progress) : null, patch.reason !== undefined, patch.reason ?? null],
      );
      return rows[0] ? toUpgrade(rows[0]) : null;
    },
  };
}
