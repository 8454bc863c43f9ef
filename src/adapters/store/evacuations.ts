// Evacuations of clusters (migration 2100). Every update compares the row's version, so two
// controllers never both start the same move; a failover's evacuation is keyed by its outage; a
// running evacuation holds its clusters (migration 2110), so a second one of a cluster is refused.
import { randomUUID } from 'node:crypto';
import { EvacuationBusyError, type Evacuation, type EvacuationMove, type EvacuationState } from '../../domain/evacuation.ts';
import type { EvacuationRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { iso, isoOrNull, json, pgCode, pageQuery, strOrNull, toPage, type Row } from './sql.ts';

const COLUMNS = 'id, clusters, region, trigger, reason, concurrency, lost_at, state, moves, version, created_at, updated_at, finished_at';

function toEvacuation(r: Row): Evacuation {
  return {
    id: String(r.id), clusters: json<string[]>(r.clusters, []), region: strOrNull(r.region),
    trigger: r.trigger === 'failover' ? 'failover' : 'manual', reason: String(r.reason), concurrency: Number(r.concurrency),
    lostAt: isoOrNull(r.lost_at), state: r.state as EvacuationState, moves: json<EvacuationMove[]>(r.moves, []),
    version: Number(r.version), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), finishedAt: isoOrNull(r.finished_at),
  };
}

export function evacuationRepo(q: Queryable): EvacuationRepo {
  const byKey = async (key: string) => {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM evacuations WHERE idempotency_key = $1`, [key]);
    return rows[0] ? toEvacuation(rows[0]) : null;
  };
  const holderOf = async (clusters: string[]) => {
    const { rows } = await q.query<Row>(
      `SELECT e.id, e.clusters FROM evacuation_clusters h JOIN evacuations e ON e.id = h.evacuation_id
        WHERE h.cluster IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY e.created_at LIMIT 1`,
      [JSON.stringify(clusters)],
    );
    return rows[0] ? { id: String(rows[0].id), clusters: json<string[]>(rows[0].clusters, []) } : null;
  };
  return {
    async create(e, key) {
      const done = e.moves.every((m) => m.state === 'unplaceable');
      const state: EvacuationState = e.moves.length === 0 ? 'succeeded' : done ? 'failed' : 'running';
      let rows: Row[];
      try {
        // One statement: the evacuation and, while it runs, one row per cluster it holds
        // (migration 2110). A cluster another running evacuation holds fails the whole statement.
        ({ rows } = await q.query<Row>(
          `WITH ins AS (
             INSERT INTO evacuations (id, clusters, region, trigger, reason, concurrency, lost_at, state, moves, idempotency_key, finished_at)
             VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, CASE WHEN $8 = 'running' THEN NULL ELSE now() END)
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}),
           held AS (
             INSERT INTO evacuation_clusters (cluster, evacuation_id)
             SELECT DISTINCT c.cluster, ins.id FROM ins, jsonb_array_elements_text(ins.clusters) AS c(cluster) WHERE ins.state = 'running')
           SELECT * FROM ins`,
          [`ev-${randomUUID().slice(0, 8)}`, JSON.stringify(e.clusters), e.region, e.trigger, e.reason, e.concurrency, e.lostAt, state, JSON.stringify(e.moves), key ?? null],
        ));
      } catch (err) {
        if (pgCode(err) !== '23505') throw err;
        const holder = await holderOf(e.clusters);
        if (!holder) throw err;
        throw new EvacuationBusyError(holder, e.clusters);
      }
      if (rows[0]) return { evacuation: toEvacuation(rows[0]), created: true };
      const prior = key ? await byKey(key) : null;
      if (!prior) throw new Error('evacuation insert returned nothing');
      return { evacuation: prior, created: false };
    },
    async get(id) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM evacuations WHERE id = $1`, [id]);
      return rows[0] ? toEvacuation(rows[0]) : null;
    },
    async list(page) {
      const { limit, after } = pageQuery(page, 1);
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM evacuations WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
        [after?.[0] ?? null, limit + 1],
      );
      return toPage(rows, limit, toEvacuation, (r) => [String(r.id)]);
    },
    async running() {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM evacuations WHERE state = 'running' ORDER BY created_at, id`);
      return rows.map(toEvacuation);
    },
    async withLeftovers() {
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM evacuations WHERE trigger = 'failover' AND state <> 'running'
           AND jsonb_path_exists(moves, '$[*] ? (exists(@.leftOn) && !exists(@.reclaimOperation))') ORDER BY created_at, id`);
      return rows.map(toEvacuation);
    },
    async update(id, expectedVersion, patch) {
      const { rows } = await q.query<Row>(
        `UPDATE evacuations SET state = COALESCE($3, state), moves = COALESCE($4::jsonb, moves),
           finished_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE finished_at END, version = version + 1, updated_at = now()
         WHERE id = $1 AND version = $2 RETURNING ${COLUMNS}`,
        [id, expectedVersion, patch.state ?? null, patch.moves ? JSON.stringify(patch.moves) : null, patch.finishedAt !== undefined, patch.finishedAt ?? null],
      );
      return rows[0] ? toEvacuation(rows[0]) : null;
    },
  };
}
