// Queued operations wake listeners: the insert trigger (migration 052) NOTIFYs on commit, and
// Db.listen delivers it, on PGlite and on PostgreSQL (there from another connection, as from
// another `serve` process). Rolled-back inserts notify nobody.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { BACKENDS, type TestDatabase } from '../helpers/db.ts';

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await sleep(50);
  assert.ok(ok(), what);
}

for (const [backend, fresh] of Object.entries(BACKENDS)) {
  describe(`operation notifications on ${backend}`, () => {
    let db: TestDatabase;
    let store: SqlStore;
    let other: SqlStore | null = null;

    before(async () => {
      db = await fresh();
      store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'c'.repeat(64), maxConnections: 2 });
      await store.migrate();
      await store.tenants.create({ slug: 'acme', name: 'Acme', tier: 'shared', channel: 'saas', labels: {} });
      // PostgreSQL: a second store (own pool) plays the other process that queues the work.
      if (db.databaseUrl) other = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'c'.repeat(64), maxConnections: 2 });
    });
    after(async () => {
      await other?.close();
      await store?.close();
      await db?.cleanup();
    });

    test('a queued operation notifies listeners; a rolled-back one does not; unsubscribe stops it', async () => {
      let heard = 0;
      const unlisten = await store.db.listen('fleetplane_operations', () => { heard++; });
      await sleep(100);
      const base = heard; // PostgreSQL's listener calls once on (re)connect
      const writer = other ?? store;
      await writer.operations.create({ kind: 'offboard', tenant: 'acme', params: {}, steps: ['check-hold', 'remove', 'record'] });
      await until('notified of the queued operation', () => heard > base);

      const afterInsert = heard;
      await assert.rejects(writer.db.transaction(async (q) => {
        await q.query(`INSERT INTO operations (id, kind, tenant, params, steps) VALUES ('op-rolled-back', 'offboard', 'acme', '{}', '[]')`);
        throw new Error('abort the transaction');
      }), /abort the transaction/);
      await sleep(500);
      assert.equal(heard, afterInsert, 'a rolled-back insert notifies nobody');

      await unlisten();
      await writer.operations.create({ kind: 'offboard', tenant: 'acme', params: {}, steps: ['check-hold', 'remove', 'record'], idempotencyKey: 'second' });
      await sleep(500);
      assert.equal(heard, afterInsert, 'no calls after unsubscribing');
    });

    // PGlite runs in-process: it has no connection to drop.
    if (backend === 'postgres') test('a dropped listening connection is re-established (PostgreSQL)', async () => {
      let heard = 0;
      const unlisten = await store.db.listen('fleetplane_operations', () => { heard++; });
      try {
        const killed = await other!.db.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN fleetplane_operations'`);
        assert.ok(killed.rows.some((r) => r.ok), 'the listener connection was found and terminated');
        const reconnected = heard;
        await until('re-established (it calls once after reconnecting)', () => heard > reconnected);
        const before = heard;
        await other!.operations.create({ kind: 'offboard', tenant: 'acme', params: {}, steps: ['check-hold', 'remove', 'record'], idempotencyKey: 'after-drop' });
        await until('notified again after the drop', () => heard > before);
      } finally {
        await unlisten();
      }
    });

    test('channel names are identifiers only (LISTEN takes no parameters)', async () => {
      await assert.rejects(store.db.listen('x; DROP TABLE operations', () => undefined), /invalid notification channel/);
    });
  });
}
