// The API benchmark's baseline: a bare Fastify server answering the same two reads as Fleetplane's
// API from the same rows: one environment by (tenant, name), and a page of a tenant's environments
// (keyset on name). No auth, no validation, no hooks, no mapping to the API's shape: the floor any
// HTTP API over this table pays. PostgreSQL through `pg` (BARE_DATABASE_URL, a pool of
// BARE_POOL_SIZE, default 10 like serve's), else PGlite on BARE_DATA_DIR/pg (the embedded store's
// directory). Listens on 127.0.0.1:$PORT.
import Fastify from 'fastify';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { join } from 'node:path';

const COLUMNS = `tenant, name, type, blueprint, version, "values", cluster, namespace, delivery, self_heal,
  desired_revision, applied_revision, last_good_revision, health, conditions, resource_version, created_at, updated_at`;

type Query = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

async function open(): Promise<{ query: Query; close(): Promise<void> }> {
  const url = process.env.BARE_DATABASE_URL;
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BARE_POOL_SIZE ?? 10) });
    return { query: async (sql, params) => (await pool.query(sql, params)).rows, close: () => pool.end() };
  }
  const dir = process.env.BARE_DATA_DIR;
  if (!dir) throw new Error('set BARE_DATABASE_URL or BARE_DATA_DIR');
  const lite = await PGlite.create(join(dir, 'pg'));
  return { query: async (sql, params) => (await lite.query<Record<string, unknown>>(sql, params)).rows, close: () => lite.close() };
}

const db = await open();
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ ok: true }));
app.get<{ Params: { tenant: string; env: string } }>('/v1/environments/:tenant/:env', async (req, reply) => {
  const rows = await db.query(`SELECT ${COLUMNS} FROM environments WHERE tenant = $1 AND name = $2`, [req.params.tenant, req.params.env]);
  if (!rows[0]) return reply.status(404).send({ status: 404 });
  return rows[0];
});
app.get<{ Params: { tenant: string }; Querystring: { limit?: string; cursor?: string } }>('/v1/tenants/:tenant/environments', async (req) => {
  const limit = Number(req.query.limit ?? 50);
  const rows = await db.query(
    `SELECT ${COLUMNS} FROM environments WHERE tenant = $1 AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3`,
    [req.params.tenant, req.query.cursor ?? null, limit + 1],
  );
  const items = rows.slice(0, limit);
  return rows.length > limit ? { items, next: String(items[items.length - 1]!.name) } : { items };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
const stop = () => { void app.close().then(() => db.close()).then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
