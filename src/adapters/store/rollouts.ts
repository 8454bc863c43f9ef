// Rollouts: the base record (the rollouts engine adds its own columns in migration 060).
import { NotFoundError } from '../../domain/errors.ts';
import type { Rollout, RolloutState } from '../../domain/types.ts';
import type { Queryable } from './db.ts';
import type { Page, PageRequest, Store } from './port.ts';
import { iso, json, jsonParam, mapErrors, pageQuery, setClauses, toPage, type PatchColumns, type Row } from './sql.ts';

const COLUMNS = 'seq::text AS seq_key, id, blueprint, version, selector, waves, state, current_wave, created_at, updated_at';

const PATCH: PatchColumns = {
  blueprint: ['blueprint', 'text'],
  version: ['version', 'text'],
  selector: ['selector', 'json'],
  waves: ['waves', 'json'],
  state: ['state', 'text'],
  currentWave: ['current_wave', 'int'],
};

export function toRollout(r: Row): Rollout {
  return {
    id: String(r.id), blueprint: String(r.blueprint), version: String(r.version), selector: json(r.selector, {}),
    waves: json<string[][]>(r.waves, []), state: r.state as RolloutState, currentWave: Number(r.current_wave),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

export function rolloutRepo(q: Queryable): Store['rollouts'] {
  const get = async (id: string) => {
    const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM rollouts WHERE id = $1`, [id]);
    return rows[0] ? toRollout(rows[0]) : null;
  };
  return {
    get,
    async create(r) {
      const { rows } = await mapErrors(
        () => q.query<Row>(
          `INSERT INTO rollouts (id, blueprint, version, selector, waves, state, current_wave)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7) RETURNING ${COLUMNS}`,
          [r.id, r.blueprint, r.version, jsonParam(r.selector ?? {}), jsonParam(r.waves ?? []), r.state, r.currentWave ?? 0],
        ),
        { conflict: `rollout "${r.id}" already exists`, field: '/id' },
      );
      return toRollout(rows[0]!);
    },
    list: (req) => listRollouts(q, req),
    async update(id, patch) {
      const params: unknown[] = [id];
      const sets = setClauses(patch as Record<string, unknown>, PATCH, params);
      sets.push('updated_at = now()');
      const { rows } = await q.query<Row>(`UPDATE rollouts SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`, params);
      if (!rows[0]) throw new NotFoundError(`rollout "${id}" not found`);
      return toRollout(rows[0]);
    },
  };
}

/** Newest first. */
async function listRollouts(q: Queryable, req: PageRequest): Promise<Page<Rollout>> {
  const { limit, after } = pageQuery(req, 1);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM rollouts WHERE ($1::text IS NULL OR seq < $1::bigint) ORDER BY seq DESC LIMIT $2`,
    [after?.[0] ?? null, limit + 1],
  );
  return toPage(rows, limit, toRollout, (r) => [String(r.seq_key)]);
}
