// Evacuations of clusters (migration 2100). Every update compares the row's version, so two
// controllers never both start the same move; a failover's evacuation is keyed by its outage.
import { randomUUID } from 'node:crypto';
import type { Evacuation, EvacuationMove, EvacuationState } from '../../domain/evacuation.ts';
import type { EvacuationRepo } from '../../domain/ports/store.ts';
import type { Queryable } from './db.ts';
import { iso, isoOrNull, json, pageQuery, strOrNull, toPage, type Row } from './sql.ts';

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
  return {
    async create(e, key) {
      const done = e.moves.every((m) => m.state === 'unplaceable');
      const state: EvacuationState = e.moves.length === 0 ? 'succeeded' : done ? 'failed' : 'running';
      const { rows } = await q.query<Row>(
        `INSERT INTO evacuations (id, clusters, region, trigger, reason, concurrency, lost_at, state, moves, idempotency_key, finished_at)
         VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, CASE WHEN $8 = 'running' THEN NULL ELSE now() END)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
        [`ev-${randomUUID().slice(0, 8)}`, JSON.stringify(e.clusters), e.region, e.trigger, e.reason, e.concurrency, e.lostAt, state, JSON.stringify(e.moves), key ?? null],
      );
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
