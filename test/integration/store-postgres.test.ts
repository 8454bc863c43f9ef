// The store suite on a real PostgreSQL server (FLEETPLANE_TEST_DATABASE_URL, see scripts/postgres.sh),
// plus what only a multi-connection server can show: concurrent migrators in separate processes,
// idempotent creates racing from separate pools, and key mismatch between servers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openStore } from '../../src/adapters/store/index.ts';
import { loadMigrations } from '../../src/adapters/store/migrate.ts';
import { emptyPostgres, freshPostgres, testDatabaseUrl } from '../helpers/db.ts';
import { storeSuite } from './store.suite.ts';

testDatabaseUrl(); // fails the file with a clear message when the server is not set up

const MIGRATE_CLI = fileURLToPath(new URL('../../src/cli/migrate.ts', import.meta.url));

function migrateInChild(databaseUrl: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MIGRATE_CLI], {
      env: { ...process.env, FLEETPLANE_DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`migrate-cli exited ${code}: ${err}`));
      resolve((JSON.parse(out.trim()) as { applied: number[] }).applied);
    });
  });
}

storeSuite('postgres', freshPostgres, (ctx) => {
  test('postgres: two processes migrating one empty database apply each migration exactly once', async () => {
    const db = await emptyPostgres();
    try {
      const [a, b] = await Promise.all([migrateInChild(db.databaseUrl!), migrateInChild(db.databaseUrl!)]);
      const all = (await loadMigrations()).map((m) => m.id);
      assert.deepEqual([...a, ...b].sort((x, y) => x - y), all);
      const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
      try {
        const { rows } = await store.db.query<{ id: number }>('SELECT id FROM fleetplane_migrations ORDER BY id');
        assert.deepEqual(rows.map((r) => Number(r.id)), all);
        await store.migrate(); // up to date: a no-op
      } finally {
        await store.close();
      }
    } finally {
      await db.cleanup();
    }
  });

  test('postgres: idempotent creates racing from two servers (two pools) yield one operation', async () => {
    const { handle, store } = ctx();
    const second = await openStore({ databaseUrl: handle.databaseUrl, dataDir: handle.dataDir });
    try {
      const create = (s: typeof store) => s.operations.create({ kind: 'upgrade', tenant: 'multi', params: {}, steps: ['apply'], idempotencyKey: 'two-servers' });
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(i % 2 === 0 ? store : second)));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.operation.id)).size, 1);
    } finally {
      await second.close();
    }
  });

  test('postgres: a server with a different secret key gets a clear error, never garbage', async () => {
    const { handle } = ctx();
    const other = await openStore({ databaseUrl: handle.databaseUrl, dataDir: handle.dataDir, secretKey: 'ab'.repeat(32) });
    try {
      await other.clusters.upsert({ name: 'keyed', provider: 'local', region: 'eu', labels: {}, role: 'shared', apiServer: 'https://x', credentials: 'k' });
      assert.equal(await other.clusters.credentials('keyed'), 'k');
      await assert.rejects(ctx().store.clusters.credentials('keyed'), /FLEETPLANE_SECRET_KEY/);
      await other.clusters.delete('keyed');
    } finally {
      await other.close();
    }
  });
});
