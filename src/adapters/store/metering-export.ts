// Marketplace mappings and export rows on SQL (migration 300_metering.sql). Planning turns finalized
// records (their original quantity) and corrections into rows keyed (tenant, marketplace, source,
// source key), so planning twice or on two replicas creates each row once. Rows are leased to one
// exporter at a time and written ahead of the call with the exact payload (docs/metering.md).
import type { Marketplace, MarketplaceMapping } from '../../domain/metering.ts';
import type { ExportQuery, ExportRow, ExportState, MeteringExportRepo as ExportStore, Outcome, PlanOptions, PlanResult } from '../../domain/ports/metering.ts';
import type { Page } from '../../domain/ports/store.ts';
import type { Db, Queryable } from './db.ts';
import { iso, isoOrNull, json, pageQuery, toPage, type Row } from './sql.ts';

/** "fp-mexpt" in ASCII: one planning pass at a time across processes (PostgreSQL). */
export const EXPORT_PLAN_LOCK_KEY = 0x66702d6d65787074n;

const rowOf = (r: Row): ExportRow => ({
  id: Number(r.id), tenant: String(r.tenant), marketplace: r.marketplace as Marketplace, source: r.source as 'usage' | 'correction',
  sourceKey: String(r.source_key), dimension: String(r.dimension), marketplaceDimension: String(r.marketplace_dimension), hour: iso(r.hour),
  exactQuantity: Number(r.exact_quantity), quantity: Number(r.quantity), state: r.state as ExportState, attempts: Number(r.attempts), solo: Boolean(r.solo),
  nextAttemptAt: iso(r.next_attempt_at), payload: json<Record<string, unknown> | null>(r.payload, null), requestId: (r.request_id as string | null) ?? null,
  reason: (r.reason as string | null) ?? null, mergedInto: r.merged_into === null || r.merged_into === undefined ? null : Number(r.merged_into),
  createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), sentAt: isoOrNull(r.sent_at),
});

const COLS = '*';

/** The quantity a mapping sends for an exact Fleetplane quantity x: scaled, then integers or 6 decimals. */
const SENT = (x: string) => `CASE WHEN m.marketplace = 'aws' OR (m.marketplace = 'gcp' AND coalesce(m.spec->'gcp'->>'valueType', 'int64') = 'int64')
  THEN round(${x} * coalesce((m.spec->'dimensions'->DIM->>'scale')::numeric, 1))
  ELSE round(${x} * coalesce((m.spec->'dimensions'->DIM->>'scale')::numeric, 1), 6) END`;

async function planUsage(q: Queryable, o: PlanOptions): Promise<Row[]> {
  const { rows } = await q.query(
    `INSERT INTO marketplace_exports (tenant, marketplace, source, source_key, dimension, marketplace_dimension, hour, exact_quantity, quantity,
       state, reason, next_attempt_at, created_at, updated_at)
     SELECT t.tenant, t.marketplace, 'usage', t.dimension || '@' || to_char(t.hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24":00:00Z"'), t.dimension, t.mdim, t.hour,
       t.exact, t.sent, CASE WHEN t.sent > 0 THEN 'pending' ELSE 'skipped' END, CASE WHEN t.sent > 0 THEN NULL ELSE 'zero usage: nothing to bill' END, $1, $1, $1
     FROM (
       SELECT r.tenant, m.marketplace, r.dimension, m.spec->'dimensions'->r.dimension->>'name' AS mdim, r.hour, sum(r.original_quantity) AS exact,
         ${SENT('sum(r.original_quantity)').replaceAll('DIM', 'r.dimension')} AS sent
       FROM metering_records r JOIN marketplace_mappings m ON m.tenant = r.tenant
       WHERE r.state = 'final' AND r.hour >= $2 AND r.hour >= (m.spec->>'startHour')::timestamptz AND m.spec->'dimensions' ? r.dimension
         AND r.hour < (SELECT value FROM metering_state WHERE key = 'closed_until')
       GROUP BY r.tenant, m.marketplace, m.spec, r.dimension, r.hour
     ) t
     ON CONFLICT (tenant, marketplace, source, source_key) DO NOTHING
     RETURNING ${COLS}`,
    [o.now.toISOString(), o.since.toISOString()],
  );
  return rows;
}

async function planCorrections(q: Queryable, o: PlanOptions): Promise<Row[]> {
  const { rows } = await q.query(
    `INSERT INTO marketplace_exports (tenant, marketplace, source, source_key, dimension, marketplace_dimension, hour, exact_quantity, quantity,
       state, next_attempt_at, created_at, updated_at)
     SELECT c.tenant, m.marketplace, 'correction', c.seq::text, c.dimension, m.spec->'dimensions'->c.dimension->>'name', c.hour, c.delta,
       ${SENT('c.delta').replaceAll('DIM', 'c.dimension')}, 'pending', $1, $1, $1
     FROM metering_corrections c JOIN marketplace_mappings m ON m.tenant = c.tenant
     WHERE c.detected_at >= $2 AND c.hour >= (m.spec->>'startHour')::timestamptz AND m.spec->'dimensions' ? c.dimension
     ORDER BY c.seq
     ON CONFLICT (tenant, marketplace, source, source_key) DO NOTHING
     RETURNING ${COLS}`,
    [o.now.toISOString(), o.since.toISOString()],
  );
  return rows;
}

/** A usage row never attempted yet can still take a correction of its own hour. */
async function mergeInto(q: Queryable, target: { id: number }, c: ExportRow, now: Date): Promise<void> {
  await q.query(
    `UPDATE marketplace_exports SET quantity = quantity + $2::numeric, exact_quantity = exact_quantity + $3::numeric,
       state = CASE WHEN quantity + $2::numeric > 0 THEN 'pending' ELSE 'skipped' END,
       reason = CASE WHEN quantity + $2::numeric > 0 THEN NULL ELSE 'zero usage: nothing to bill' END, updated_at = $4
     WHERE id = $1`,
    [target.id, String(c.quantity), String(c.exactQuantity), now.toISOString()],
  );
  await q.query(`UPDATE marketplace_exports SET state = 'merged', merged_into = $2, reason = $3, updated_at = $4 WHERE id = $1`, [c.id, target.id, `folded into export ${target.id}`, now.toISOString()]);
}

/**
 * Per marketplace: a correction joins its hour's row when that row was never attempted; otherwise
 * AWS and Azure (one record per customer/resource x dimension x hour, no amendments) carry a positive
 * delta into the next usage row of the dimension, Google reports it as its own operation; a negative
 * delta on usage already reported cannot be sent anywhere and is refused.
 */
async function placeCorrection(q: Queryable, c: ExportRow, now: Date, counts: PlanResult): Promise<void> {
  const { rows } = await q.query<{ id: number }>(
    `SELECT id FROM marketplace_exports WHERE tenant = $1 AND marketplace = $2 AND source = 'usage' AND dimension = $3 AND hour = $4
       AND state IN ('pending', 'skipped') AND attempts = 0`,
    [c.tenant, c.marketplace, c.dimension, c.hour],
  );
  const set = (state: ExportState, reason: string) => q.query('UPDATE marketplace_exports SET state = $2, reason = $3, updated_at = $4 WHERE id = $1', [c.id, state, reason, now.toISOString()]);
  if (rows[0]) {
    counts.merged++;
    return mergeInto(q, rows[0], c, now);
  }
  if (c.quantity === 0) return void (await set('skipped', 'correction rounds to zero in the marketplace unit'));
  if (c.quantity < 0) {
    counts.refused++;
    return void (await set('refused', `${c.marketplace} metering takes no negative usage for an hour already reported: credit the customer outside metering`));
  }
  if (c.marketplace === 'gcp') return;
  counts.carried++;
  await set('carried', `${c.marketplace} takes one record per hour and dimension: carried into the next usage record of ${c.marketplaceDimension}`);
}

/** Carried corrections join the earliest later usage row of their dimension that was never attempted. */
async function absorbCarries(q: Queryable, o: PlanOptions, counts: PlanResult): Promise<void> {
  const { rows } = await q.query(`SELECT ${COLS} FROM marketplace_exports WHERE state = 'carried' ORDER BY id`);
  for (const c of rows.map(rowOf)) {
    const { rows: t } = await q.query<{ id: number }>(
      `SELECT id FROM marketplace_exports WHERE tenant = $1 AND marketplace = $2 AND source = 'usage' AND dimension = $3 AND hour > $4
         AND state IN ('pending', 'skipped') AND attempts = 0 ORDER BY hour LIMIT 1`,
      [c.tenant, c.marketplace, c.dimension, c.hour],
    );
    if (t[0]) {
      counts.merged++;
      await mergeInto(q, t[0], c, o.now);
    } else if (Date.parse(c.createdAt) + o.carryMaxMs <= o.now.getTime()) {
      counts.refused++;
      await q.query(`UPDATE marketplace_exports SET state = 'refused', reason = $2, updated_at = $3 WHERE id = $1`,
        [c.id, `no later usage record of ${c.marketplaceDimension} to carry the correction into within ${Math.round(o.carryMaxMs / 3_600_000)} h`, o.now.toISOString()]);
    }
  }
}

async function plan(db: Db, o: PlanOptions): Promise<PlanResult> {
  return db.transaction(async (q) => {
    if (db.kind === 'postgres') await q.query('SELECT pg_advisory_xact_lock($1)', [EXPORT_PLAN_LOCK_KEY.toString()]);
    const usage = await planUsage(q, o);
    const corrections = (await planCorrections(q, o)).map(rowOf);
    const counts: PlanResult = { usage: usage.length, corrections: corrections.length, merged: 0, carried: 0, refused: 0 };
    for (const c of corrections) await placeCorrection(q, c, o.now, counts);
    await absorbCarries(q, o, counts);
    return counts;
  });
}

async function claim(db: Db, c: Parameters<ExportStore['claim']>[0]): Promise<ExportRow[]> {
  const take = async (solo: boolean, limit: number) => {
    const { rows } = await db.query(
      `WITH c AS (
         SELECT id FROM marketplace_exports
         WHERE tenant = $1 AND marketplace = $2 AND solo = $3
           AND ((state = 'pending' AND next_attempt_at <= $4) OR (state = 'sending' AND lease_until <= $4))
         ORDER BY hour, id LIMIT $5 FOR UPDATE SKIP LOCKED
       )
       UPDATE marketplace_exports e SET state = 'sending', attempts = e.attempts + 1, lease_owner = $6, lease_until = $7, updated_at = $4
       FROM c WHERE e.id = c.id RETURNING e.*`,
      [c.tenant, c.marketplace, solo, c.now.toISOString(), limit, c.owner, new Date(c.now.getTime() + c.leaseMs).toISOString()],
    );
    return rows.map(rowOf).sort((a, b) => Date.parse(a.hour) - Date.parse(b.hour) || a.id - b.id);
  };
  const solo = await take(true, 1);
  return solo.length > 0 ? solo : take(false, c.limit);
}

async function settle(q: Queryable, outcomes: Outcome[], owner: string, now: Date): Promise<number> {
  let n = 0;
  for (const o of outcomes) {
    const next = o.state === 'pending' ? o.nextAttemptAt.toISOString() : now.toISOString();
    const { rows } = await q.query(
      `UPDATE marketplace_exports SET state = $3, request_id = coalesce($4, request_id), reason = $5, next_attempt_at = $6,
         solo = solo OR $7, sent_at = CASE WHEN $3 = 'sent' THEN $8::timestamptz ELSE sent_at END, lease_owner = NULL, lease_until = NULL, updated_at = $8
       WHERE id = $1 AND lease_owner = $2 AND state = 'sending' RETURNING id`,
      [o.id, owner, o.state, 'requestId' in o ? o.requestId ?? null : null, o.reason ?? null, next, o.state === 'pending' && o.solo === true, now.toISOString()],
    );
    n += rows.length;
  }
  return n;
}

async function list(q: Queryable, eq: ExportQuery): Promise<Page<ExportRow>> {
  const { limit, after } = pageQuery(eq, 1);
  const { rows } = await q.query(
    `SELECT ${COLS} FROM marketplace_exports
     WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR state = $2) AND ($3::bigint IS NULL OR id > $3::bigint)
     ORDER BY id LIMIT $4`,
    [eq.tenant ?? null, eq.state ?? null, after ? Number(after[0]) : null, limit + 1],
  );
  return toPage(rows, limit, rowOf, (r) => [Number(r.id)]);
}

export function sqlExportStore(db: Db): ExportStore {
  return {
    async putMapping(m, now) {
      const { tenant, marketplace, updatedAt: _u, ...spec } = m;
      await db.query(
        `INSERT INTO marketplace_mappings (tenant, marketplace, spec, updated_at) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (tenant) DO UPDATE SET marketplace = EXCLUDED.marketplace, spec = EXCLUDED.spec, updated_at = EXCLUDED.updated_at`,
        [tenant, marketplace, JSON.stringify(spec), now.toISOString()],
      );
      return { ...m, updatedAt: now.toISOString() };
    },
    async getMapping(tenant) {
      const { rows } = await db.query('SELECT tenant, marketplace, spec, updated_at FROM marketplace_mappings WHERE tenant = $1', [tenant]);
      const r = rows[0];
      if (!r) return null;
      return { ...json<Omit<MarketplaceMapping, 'tenant' | 'marketplace'>>(r.spec, { dimensions: {}, startHour: '' }), tenant: String(r.tenant), marketplace: r.marketplace as Marketplace, updatedAt: iso(r.updated_at) };
    },
    plan: (o) => plan(db, o),
    async dueGroups(now) {
      const { rows } = await db.query<{ tenant: string; marketplace: Marketplace }>(
        `SELECT DISTINCT tenant, marketplace FROM marketplace_exports
         WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND lease_until <= $1) ORDER BY tenant, marketplace`,
        [now.toISOString()],
      );
      return rows;
    },
    claim: (c) => claim(db, c),
    async savePayloads(rows, owner) {
      for (const r of rows) {
        await db.query(`UPDATE marketplace_exports SET payload = $2::jsonb WHERE id = $1 AND lease_owner = $3 AND payload IS NULL`, [r.id, JSON.stringify(r.payload), owner]);
      }
    },
    settle: (outcomes, owner, now) => db.transaction((q) => settle(q, outcomes, owner, now)),
    list: (eq) => list(db, eq),
    async summary(tenant) {
      const { rows } = await db.query<{ state: ExportState; n: number }>('SELECT state, count(*)::integer AS n FROM marketplace_exports WHERE tenant = $1 GROUP BY state', [tenant]);
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },
  };
}
