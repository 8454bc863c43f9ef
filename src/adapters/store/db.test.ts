import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Mutex, openDb, type Db } from './db.ts';

let dir: string;
let db: Db;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fp-db-'));
  db = await openDb({ dataDir: dir });
  await db.exec('CREATE TABLE t (n int)');
});
after(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

test('Mutex runs tasks one at a time in order, and a failure does not block the next', async () => {
  const m = new Mutex();
  const log: string[] = [];
  const task = (name: string, fail = false) => m.run(async () => {
    log.push(`${name}:start`);
    await new Promise((r) => setImmediate(r));
    log.push(`${name}:end`);
    if (fail) throw new Error(name);
  });
  const results = await Promise.allSettled([task('a'), task('b', true), task('c')]);
  assert.deepEqual(log, ['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
});

test('embedded: a statement issued during a transaction never lands inside it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = db.transaction(async (q) => {
    await q.query('INSERT INTO t VALUES (1)');
    await gate;
    throw new Error('roll back');
  });
  const outside = db.query('INSERT INTO t VALUES (2)'); // queued behind the transaction
  release();
  await assert.rejects(tx, /roll back/);
  await outside;
  const { rows } = await db.query<{ n: number }>('SELECT n FROM t ORDER BY n');
  assert.deepEqual(rows.map((r) => r.n), [2]);
});

test('embedded: a top-level call inside a transaction fails instead of deadlocking', async () => {
  await assert.rejects(db.transaction(() => db.query('SELECT 1')), /deadlock/);
});
