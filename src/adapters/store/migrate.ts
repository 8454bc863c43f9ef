// Numbered, forward-only migrations (src/adapters/store/migrations/NNN_name.sql), as graphile-worker's
// migrate.ts does it: each file runs in its own transaction that also records it in
// fleetplane_migrations, under a transaction-scoped advisory lock so several processes starting at
// once against one PostgreSQL apply every migration exactly once.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Arbitrary constant shared by every Fleetplane process: "fleetpla" in ASCII. */
const MIGRATION_LOCK_KEY = 0x666c656574706c61n;

const FILE_RE = /^(\d{3,})_([a-z0-9_-]+)\.sql$/i;

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE_RE.test(f));
  const out: Migration[] = [];
  for (const file of files) {
    const m = FILE_RE.exec(file)!;
    out.push({ id: Number(m[1]), name: m[2]!, sql: await readFile(`${dir}/${file}`, 'utf8') });
  }
  out.sort((a, b) => a.id - b.id);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.id === out[i - 1]!.id) throw new Error(`two migrations share number ${out[i]!.id}: ${out[i - 1]!.name}, ${out[i]!.name}`);
  }
  return out;
}

/** Applies every pending migration in order; returns the ids it applied (empty when up to date). */
export async function migrate(db: Db, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  const done = await appliedIds(db);
  const applied: number[] = [];
  for (const m of all.filter((x) => !done.has(x.id))) {
    const did = await db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      await q.exec(`CREATE TABLE IF NOT EXISTS fleetplane_migrations (
        id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const seen = await q.query('SELECT 1 FROM fleetplane_migrations WHERE id = $1', [m.id]);
      if (seen.rows.length > 0) return false;
      await q.exec(m.sql);
      await q.query('INSERT INTO fleetplane_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      return true;
    });
    if (did) applied.push(m.id);
  }
  return applied;
}

/** Cheap pre-check without the lock, so an up-to-date database costs one query at startup. */
async function appliedIds(db: Db): Promise<Set<number>> {
  try {
    const { rows } = await db.query<{ id: number }>('SELECT id FROM fleetplane_migrations');
    return new Set(rows.map((r) => Number(r.id)));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return new Set(); // no table yet
    throw err;
  }
}
