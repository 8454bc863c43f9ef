// Fresh, isolated databases for tests, as graphile-worker's __tests__/helpers.ts does it:
// PostgreSQL: one migrated template per migration set, then CREATE DATABASE … TEMPLATE per test file
// (a copy is far cheaper than migrating); embedded: a fresh temp data dir. Both clean up after.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDb } from '../../src/adapters/store/db.ts';
import { loadMigrations, migrate } from '../../src/adapters/store/migrate.ts';

export interface TestDatabase {
  /** postgres://… for the fresh database (absent for embedded). */
  databaseUrl?: string;
  /** A fresh temp dir (embedded store's data, secret.key, git repos …). */
  dataDir: string;
  cleanup(): Promise<void>;
}

/** FLEETPLANE_TEST_DATABASE_URL or a clear failure naming the script that provides it. */
export function testDatabaseUrl(): string {
  const url = process.env.FLEETPLANE_TEST_DATABASE_URL;
  if (!url) {
    throw new Error('FLEETPLANE_TEST_DATABASE_URL is not set: run `eval "$(bash scripts/postgres.sh ensure)"` first (npm test does)');
  }
  return url;
}

export async function tempDataDir(): Promise<{ dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetplane-test-'));
  return { dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
}

export async function freshEmbedded(): Promise<TestDatabase> {
  return tempDataDir();
}

export async function freshPostgres(): Promise<TestDatabase> {
  const adminUrl = testDatabaseUrl();
  const template = await ensureTemplate(adminUrl);
  const name = `fp_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => createFromTemplate(c, name, template));
  return testDatabase(adminUrl, name);
}

/** Both backends, for suites that must pass on each. */
export const BACKENDS = { embedded: freshEmbedded, postgres: freshPostgres } as const;

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`cannot connect to FLEETPLANE_TEST_DATABASE_URL (${new URL(url).host}): run \`eval "$(bash scripts/postgres.sh ensure)"\``, { cause: err });
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// The template's name carries a hash of the migration files, so adding a migration yields a new
// template instead of silently testing against a stale schema.
async function ensureTemplate(adminUrl: string): Promise<string> {
  const migrations = await loadMigrations();
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.id}\0${m.name}\0${m.sql}\0`);
  const name = `fleetplane_template_${hash.digest('hex').slice(0, 12)}`;
  await withAdmin(adminUrl, async (c) => {
    // Session lock: test files running in parallel build the template once.
    await c.query('SELECT pg_advisory_lock(4242001)');
    try {
      const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rows.length > 0) return;
      // A crashed earlier build may have left a half-migrated copy behind.
      await dropDatabase(c, `${name}_building`);
      await c.query(`CREATE DATABASE ${name}_building`);
      const db = await openDb({ databaseUrl: withDatabase(adminUrl, `${name}_building`), dataDir: tmpdir(), maxConnections: 1 });
      try {
        await migrate(db, migrations);
      } finally {
        await db.close();
      }
      await c.query(`ALTER DATABASE ${name}_building RENAME TO ${name}`);
    } finally {
      await c.query('SELECT pg_advisory_unlock(4242001)');
    }
  });
  return name;
}

async function createFromTemplate(c: pg.Client, name: string, template: string): Promise<void> {
  // CREATE DATABASE fails while another session is connected to the template; retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      return;
    } catch (err) {
      if (attempt >= 20 || (err as { code?: string }).code !== '55006') throw err;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
}

/**
 * DROP DATABASE … WITH (FORCE), retried. FORCE terminates the database's other sessions, and an
 * autovacuum worker that happens to be in it has no role the (non-superuser) test role may signal:
 * PostgreSQL then refuses with 42501 although the worker goes away by itself in a moment.
 * scripts/postgres.sh grants pg_signal_backend, which avoids that; the retry covers servers
 * provisioned before it did, and 55006 (a session still leaving).
 */
export async function dropDatabase(c: { query(sql: string): Promise<unknown> }, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 20 || (code !== '42501' && code !== '55006')) throw err;
      await new Promise((r) => setTimeout(r, 100 + attempt * 50));
    }
  }
}

/** A created database plus a temp data dir; cleanup drops both. */
async function testDatabase(adminUrl: string, name: string): Promise<TestDatabase> {
  const { dataDir, cleanup } = await tempDataDir();
  return {
    databaseUrl: withDatabase(adminUrl, name),
    dataDir,
    async cleanup() {
      await withAdmin(adminUrl, (c) => dropDatabase(c, name));
      await cleanup();
    },
  };
}

/** An empty database (no migrations) on the test server, for migration tests. */
export async function emptyPostgres(): Promise<TestDatabase> {
  const adminUrl = testDatabaseUrl();
  const name = `fp_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  return testDatabase(adminUrl, name);
}
