// The PostgreSQL adapter survives the server ending a connection it has handed out (a restart, an
// admin's pg_terminate_backend): node-postgres emits 'error' on a client that is between two queries,
// and a checked-out client had no listener, so the process crashed (seen with `serve` when PostgreSQL
// restarted under load; postgres-restart.test.ts). Here the transaction's own backend is terminated
// from another connection while the transaction waits: the transaction fails, this process does not
// crash, and the pool goes on with a new connection.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { openPostgres, type Db } from '../../src/adapters/store/db.ts';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';

let handle: TestDatabase;
let db: Db;

before(async () => {
  handle = await freshPostgres();
  db = await openPostgres(handle.databaseUrl!, 3);
});
after(async () => {
  await db?.close();
  await handle?.cleanup();
});

test('a terminated backend fails its transaction, not the process; the pool reconnects', async () => {
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => { uncaught.push(err); };
  process.on('uncaughtException', onUncaught);
  try {
    const tx = db.transaction(async (q) => {
      const pid = Number((await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
      assert.equal((await db.query<{ t: boolean }>('SELECT pg_terminate_backend($1) AS t', [pid])).rows[0]!.t, true);
      // Until the server has ended it (the FATAL message reaches this client between two queries).
      for (let i = 0; (await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows.length > 0; i++) {
        assert.ok(i < 500, 'the backend ended');
        await sleep(10);
      }
      await sleep(50);
      await q.query('SELECT 1');
    });
    await assert.rejects(tx, /terminat|Connection|not queryable|ended/i);
    assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }], 'the pool goes on');
    assert.deepEqual(await db.transaction(async (q) => (await q.query<{ two: number }>('SELECT 2 AS two')).rows), [{ two: 2 }]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.deepEqual(uncaught.map((e) => e.message), [], 'nothing reached the process');
});
