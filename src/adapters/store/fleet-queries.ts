// Read-only fleet reporting for the console (Store.fleet; GET /v1/fleet/summary, /attention): counts are
// computed in SQL (one GROUPING SETS scan of environments), and the attention list is a keyset page,
// so neither ever loads the fleet into the process. tenant = null reads the whole fleet (admin).
import type { AttentionRow, CountRow, DriftRecord, FleetCounts, HaltedRollout, OperationCounts } from '../../domain/fleet-report.ts';
import type { FleetReportRepo } from '../../domain/ports/store.ts';
import type { Condition, Health, Operation } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import { decodeCursor, encodeCursor, iso, isoOrNull, json, pageLimit, type Row } from './sql.ts';

const DRIFTED_JSON = '[{"type":"Drifted","status":"True"}]';


const COUNTS_SQL = `SELECT GROUPING(blueprint) AS gb, GROUPING(cluster) AS gc, health, blueprint, version, cluster,
    count(*)::int AS n, count(*) FILTER (WHERE conditions @> '${DRIFTED_JSON}'::jsonb)::int AS drifted
  FROM environments WHERE ($1::text IS NULL OR tenant = $1)
  GROUP BY GROUPING SETS ((health), (blueprint, version, health), (cluster, health))`;

function add(row: CountRow, r: Row): void {
  const n = Number(r.n);
  row.environments += n;
  row.drifted += Number(r.drifted);
  const h = String(r.health) as Health;
  row.byHealth[h] = (row.byHealth[h] ?? 0) + n;
}

const empty = (): CountRow => ({ environments: 0, drifted: 0, byHealth: {} });

async function fleetCounts(q: Queryable, tenant: string | null): Promise<FleetCounts> {
  const { rows } = await q.query<Row>(COUNTS_SQL, [tenant]);
  const total = empty();
  const releases = new Map<string, CountRow & { blueprint: string; version: string }>();
  const clusters = new Map<string, CountRow & { cluster: string }>();
  for (const r of rows) {
    const byRelease = Number(r.gb) === 0;
    const byCluster = Number(r.gc) === 0;
    if (!byRelease && !byCluster) add(total, r);
    else if (byRelease) {
      const key = `${String(r.blueprint)}@${String(r.version)}`;
      const row = releases.get(key) ?? { ...empty(), blueprint: String(r.blueprint), version: String(r.version) };
      add(row, r);
      releases.set(key, row);
    } else {
      const name = String(r.cluster);
      const row = clusters.get(name) ?? { ...empty(), cluster: name };
      add(row, r);
      clusters.set(name, row);
    }
  }
  const by = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    ...total,
    byRelease: [...releases.values()].sort(by((x) => `${x.blueprint}\u0000${x.version}`)),
    byCluster: [...clusters.values()].sort(by((x) => x.cluster)),
  };
}

async function tenantCount(q: Queryable, tenant: string | null): Promise<number> {
  const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants WHERE deleted_at IS NULL AND ($1::text IS NULL OR slug = $1)', [tenant]);
  return Number(rows[0]?.n ?? 0);
}

async function operationCounts(q: Queryable, tenant: string | null): Promise<OperationCounts> {
  const { rows } = await q.query<Row>(
    `SELECT count(*) FILTER (WHERE state = 'pending')::int AS pending, count(*) FILTER (WHERE state = 'running')::int AS running,
       count(*) FILTER (WHERE state = 'failed' AND finished_at > now() - interval '1 day')::int AS failed
     FROM operations WHERE state IN ('pending', 'running', 'failed') AND ($1::text IS NULL OR tenant = $1)`, [tenant]);
  const r = rows[0] ?? {};
  return { pending: Number(r.pending ?? 0), running: Number(r.running ?? 0), failedLastDay: Number(r.failed ?? 0) };
}

const ATTENTION_SQL = `SELECT * FROM (
    SELECT e.tenant, e.name, e.health, e.cluster, e.blueprint, e.version, e.conditions, e.updated_at, e.held_by,
      e.conditions @> '${DRIFTED_JSON}'::jsonb AS drifted,
      CASE e.health WHEN 'Failed' THEN 0 WHEN 'Degraded' THEN 1 ELSE 2 END AS rank
    FROM environments e
    WHERE ($1::text IS NULL OR e.tenant = $1)
      AND (e.health IN ('Failed', 'Degraded') OR e.conditions @> '${DRIFTED_JSON}'::jsonb)
  ) a
  LEFT JOIN LATERAL (SELECT o.id AS op_id, o.kind AS op_kind, o.state AS op_state, o.error AS op_error, o.steps AS op_steps, o.finished_at AS op_finished
    FROM operations o WHERE o.tenant = a.tenant AND o.environment = a.name ORDER BY o.seq DESC LIMIT 1) op ON true
  WHERE ($2::int IS NULL OR (a.rank, a.tenant, a.name) > ($2::int, $3::text, $4::text))
  ORDER BY a.rank, a.tenant, a.name LIMIT $5`;

function toAttention(r: Row): AttentionRow {
  return {
    tenant: String(r.tenant), environment: String(r.name), health: r.health as Health, drifted: r.drifted === true,
    cluster: String(r.cluster), blueprint: String(r.blueprint), version: String(r.version),
    conditions: json<Condition[]>(r.conditions, []), updatedAt: iso(r.updated_at), heldBy: (r.held_by as string | null) ?? null,
    failed: r.op_state === 'failed'
      ? { id: String(r.op_id), kind: r.op_kind as Operation['kind'], error: (r.op_error as string | null) ?? null, steps: json(r.op_steps, []), finishedAt: isoOrNull(r.op_finished) }
      : null,
  };
}

/** Failed first, then Degraded, then Drifted; keyset-paged on (rank, tenant, name). */
async function attentionPage(q: Queryable, o: { tenant: string | null; limit?: number; cursor?: string }): Promise<{ items: AttentionRow[]; next?: string }> {
  const limit = pageLimit(o.limit);
  const after = decodeCursor(o.cursor, 3);
  const { rows } = await q.query<Row>(ATTENTION_SQL, [o.tenant, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1]);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const page = { items: items.map(toAttention) };
  return rows.length > limit && last ? { ...page, next: encodeCursor([Number(last.rank), String(last.tenant), String(last.name)]) } : page;
}

/** Rollouts a person must look at: paused by a gate or by hand, or failed in the last week. Newest first. */
async function haltedRollouts(q: Queryable, limit: number): Promise<HaltedRollout[]> {
  const { rows } = await q.query<Row>(
    `SELECT id, blueprint, version, state, reason, current_wave, spec, status, updated_at FROM rollouts
     WHERE state = 'paused' OR (state = 'failed' AND finished_at > now() - interval '7 days') ORDER BY seq DESC LIMIT $1`, [limit]);
  return rows.map((r) => ({
    id: String(r.id), blueprint: String(r.blueprint), version: String(r.version), state: String(r.state), reason: (r.reason as string | null) ?? null,
    currentWave: Number(r.current_wave), spec: json(r.spec, {}), status: json(r.status, {}), updatedAt: iso(r.updated_at),
  }));
}

async function rolloutCounts(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<Row>(`SELECT state, count(*)::int AS n FROM rollouts WHERE state IN ('pending', 'running', 'paused') GROUP BY state`);
  return Object.fromEntries(rows.map((r) => [String(r.state), Number(r.n)]));
}

/** The reconcile loop's last drift report for one environment (migration 050: environments.drift). */
async function driftReport(q: Queryable, tenant: string, environment: string): Promise<DriftRecord | null> {
  const { rows } = await q.query<Row>('SELECT drift, drift_checked_at FROM environments WHERE tenant = $1 AND name = $2', [tenant, environment]);
  const r = rows[0];
  return r ? { report: r.drift ?? null, checkedAt: isoOrNull(r.drift_checked_at) } : null;
}

export function fleetReportRepo(q: Queryable): FleetReportRepo {
  return {
    counts: (tenant) => fleetCounts(q, tenant),
    tenantCount: (tenant) => tenantCount(q, tenant),
    operationCounts: (tenant) => operationCounts(q, tenant),
    attention: (o) => attentionPage(q, o),
    haltedRollouts: (limit) => haltedRollouts(q, limit),
    rolloutCounts: () => rolloutCounts(q),
    driftReport: (tenant, environment) => driftReport(q, tenant, environment),
  };
}
