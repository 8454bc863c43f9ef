// The operation queue against a real PostgreSQL server: per-environment serialization, lease
// fencing, SQL backoff, and no double claims under concurrency.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openPostgres, type Db } from '../../src/adapters/store/db.ts';
import { dropDatabase } from '../helpers/db.ts';
import { migrate } from '../../src/adapters/store/migrate.ts';
import { createQueue } from '../../src/adapters/store/queue/index.ts';
import { depth, oldestLeaseAge } from '../../src/adapters/store/queue/stats.ts';

const url = process.env.FLEETPLANE_TEST_DATABASE_URL;
let admin: Db;
let db: Db;
const dbName = `fp_queue_${randomUUID().slice(0, 8)}`;

before(async () => {
  assert.ok(url, 'FLEETPLANE_TEST_DATABASE_URL is not set: run `eval "$(bash scripts/postgres.sh ensure)"` first');
  admin = await openPostgres(url, 1);
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(url);
  u.pathname = `/${dbName}`;
  db = await openPostgres(u.toString(), 12);
  await migrate(db);
});

after(async () => {
  await db?.close();
  if (admin) await dropDatabase(admin, dbName);
  await admin?.close();
});

async function addOp(env: string | null, opts: { maxAttempts?: number } = {}): Promise<string> {
  const id = `op-${randomUUID()}`;
  await db.query(`INSERT INTO operations (id, kind, tenant, environment, max_attempts) VALUES ($1, 'onboard', 't1', $2, $3)`,
    [id, env, opts.maxAttempts ?? 10]);
  return id;
}

async function clear(): Promise<void> {
  await db.query('DELETE FROM operation_step_runs');
  await db.query('DELETE FROM operations');
}

test('only the oldest unfinished operation of an environment is claimable', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 10, maxMs: 100 });
  assert.equal(await oldestLeaseAge(db), null);
  const a1 = await addOp('a');
  await addOp('a');
  const b1 = await addOp('b');
  const claims = await Promise.all([q.claim('w1', 30_000), q.claim('w2', 30_000), q.claim('w3', 30_000)]);
  const ids = claims.filter((c) => c !== null).map((c) => c.operation.id).sort();
  assert.deepEqual(ids, [a1, b1].sort());
  const age = await oldestLeaseAge(db);
  assert.ok(age !== null && age >= 0 && age < 60, `oldest lease age ${age}`);
  const c = claims.find((x) => x?.operation.id === a1)!;
  assert.ok(await c.complete({ ok: true }));
  const next = await q.claim('w1', 30_000);
  assert.ok(next && next.operation.environment === 'a' && next.operation.id !== a1);
});

test('a worker that lost its lease can no longer write', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 10, maxMs: 100 });
  const id = await addOp('fence');
  const first = await q.claim('old', 30_000);
  assert.equal(first?.operation.id, id);
  assert.ok(await first!.recordStep({ name: 'render', state: 'running', attempts: 1 }));
  assert.equal(await q.claim('new', 30_000), null, 'not claimable while the lease runs');
  // The lease runs out (the database's clock moves on; no real wait in the test).
  await db.query("UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [id]);
  const second = await q.claim('new', 30_000);
  assert.equal(second?.operation.id, id, 'expired lease is re-claimable');
  assert.equal(second?.operation.attempts, 2);
  assert.equal(await first!.heartbeat(30_000), false);
  assert.equal(await first!.recordStep({ name: 'render', state: 'succeeded', attempts: 1 }), false);
  assert.equal(await first!.complete({}), false);
  assert.equal(await first!.setEnvironmentStatus('t1', 'fence', { health: 'Ready' }), null);
  assert.equal(await first!.saveInventory('t1', 'fence', { revision: 'r1', objects: [] }), false);
  assert.equal(await first!.release(), false);
  assert.equal(await first!.fail('late', { retry: true }), null);
  assert.ok(await second!.recordStep({ name: 'render', state: 'running', attempts: 2 }));
  assert.ok(await second!.recordStep({ name: 'render', state: 'succeeded', attempts: 2 }));
  const runs = await q.stepRuns(id);
  assert.deepEqual(runs.map((r) => `${r.workerId}:${r.state}`), ['old:running', 'new:succeeded']);
  const op = (await q.claim('x', 1000)); // still leased by "new": nothing to claim
  assert.equal(op, null);
});

test('park records the waiting step and gives the claim back in one write, without using up an attempt', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 10, maxMs: 100 });
  const id = await addOp('park');
  const c = await q.claim('w', 30_000);
  assert.ok(await c!.recordStep({ name: 'verify', state: 'running', attempts: 1 }));
  const at = new Date().toISOString();
  assert.ok(await c!.park({ name: 'verify', state: 'waiting', attempts: 1, waitingSince: at, waits: 1, message: 'Deployment web not ready' }, 60_000));
  const { rows } = await db.query<{ state: string; attempts: number; steps: Array<{ name: string; state: string }>; locked_by: string | null; due_in: number }>(
    'SELECT state, attempts, steps, locked_by, extract(epoch FROM run_at - now()) AS due_in FROM operations WHERE id = $1', [id]);
  assert.equal(rows[0]!.state, 'pending');
  assert.equal(rows[0]!.attempts, 0, 'a parked check is not an attempt');
  assert.equal(rows[0]!.locked_by, null);
  assert.ok(Number(rows[0]!.due_in) > 30, `claimable again only after the delay (due in ${rows[0]!.due_in}s)`);
  assert.deepEqual(rows[0]!.steps.map((s) => `${s.name}:${s.state}`), ['verify:waiting']);
  assert.deepEqual((await q.stepRuns(id)).map((r) => `${r.workerId}:${r.state}:${r.finishedAt ? 'closed' : 'open'}`), ['w:waiting:closed']);
  assert.equal(await q.claim('w2', 30_000), null, 'not due yet');
  // The claim is gone: a second park (or any write) by the same handle changes nothing.
  assert.equal(await c!.park({ name: 'verify', state: 'waiting', attempts: 1, waits: 2, message: 'again' }, 0), false);
  const later = await db.query<{ steps: Array<{ waits?: number }> }>('SELECT steps FROM operations WHERE id = $1', [id]);
  assert.equal(later.rows[0]!.steps[0]!.waits, 1);
});

test('fail carries out the engine\'s decision: a retry with backoff computed in SQL or at the cluster\'s time, or failed for good', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 60_000, maxMs: 120_000 });
  const id = await addOp('retry', { maxAttempts: 3 });
  const c1 = await q.claim('w', 30_000);
  assert.equal(c1?.maxAttempts, 3, 'the claim tells the engine the limit it decides with');
  const out1 = await c1!.fail('boom', { retry: true });
  assert.equal(out1?.state, 'pending');
  const delay = Date.parse((out1 as { runAt: string }).runAt) - Date.now();
  assert.ok(delay > 20_000 && delay <= 60_000, `backoff ${delay}ms within [base/2, base]`);
  assert.equal(await q.claim('w', 30_000), null, 'not runnable before run_at');
  await db.query('UPDATE operations SET run_at = now() WHERE id = $1', [id]);
  const c2 = await q.claim('w', 30_000);
  assert.equal(c2?.operation.attempts, 2);
  // Throttled: the engine retries at the cluster's Retry-After instead of the backoff.
  const at = new Date(Date.now() + 5_000);
  const out2 = await c2!.fail('throttled', { retry: true, retryAt: at });
  assert.equal(Date.parse((out2 as { runAt: string }).runAt), at.getTime());
  await db.query('UPDATE operations SET run_at = now() WHERE id = $1', [id]);
  const c3 = await q.claim('w', 30_000);
  assert.deepEqual(await c3!.fail('boom again', { retry: false, result: { step: 'deliver' } }), { state: 'failed' });
  assert.equal(await c3!.fail('late', { retry: true }), null, 'a finished operation is not retried');
  assert.equal((await depth(db)).failed, 1);
});

test('many concurrent workers never claim the same operation twice', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 10, maxMs: 100 });
  const ids = new Set<string>();
  for (let i = 0; i < 60; i++) ids.add(await addOp(`env-${i}`));
  const seen: string[] = [];
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (;;) {
      const c = await q.claim(`w${w}`, 30_000);
      if (!c) return;
      seen.push(c.operation.id);
      assert.ok(await c.complete({}));
    }
  }));
  assert.equal(seen.length, 60);
  assert.deepEqual(new Set(seen), ids);
});

test('a tenant-level operation waits for the tenant environments and blocks later ones', async () => {
  await clear();
  const q = createQueue(db, { baseMs: 10, maxMs: 100 });
  const envOp = await addOp('x');
  const tenantOp = await addOp(null);
  await addOp('y');
  const first = await q.claim('w', 30_000);
  assert.equal(first?.operation.id, envOp);
  assert.equal(await q.claim('w', 30_000), null, 'tenant op waits for x; y waits for the tenant op');
  await first!.complete({});
  assert.equal((await q.claim('w', 30_000))?.operation.id, tenantOp);
});
