// Stores keep token lookups in the process (src/adapters/store/tokens.ts TokenCache): a write through
// the store must take effect at once, as without the cache, on both backends (real PGlite, real
// PostgreSQL); on PostgreSQL another process's write takes effect when its notification arrives.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { generateTokenSecret, openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { BACKENDS as DB_BACKENDS, type TestDatabase } from '../helpers/db.ts';

const backends = (process.env.FLEETPLANE_TEST_DATABASE_URL ? ['embedded', 'postgres'] : ['embedded']) as Array<keyof typeof DB_BACKENDS>;
const opened: Array<{ store: SqlStore; db: TestDatabase }> = [];
after(async () => {
  for (const o of opened) {
    await o.store.close();
    await o.db.cleanup();
  }
});

async function fresh(backend: keyof typeof DB_BACKENDS): Promise<SqlStore> {
  const db = await DB_BACKENDS[backend]();
  const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  await store.migrate();
  opened.push({ store, db });
  return store;
}

for (const backend of backends) {
  test(`${backend}: revoke, rotate and create take effect on the next lookup`, async () => {
    const store = await fresh(backend);
    const secret = generateTokenSecret();
    const t = await store.tokens.create({ name: 'a', tenant: null, role: 'admin' }, secret);
    assert.equal((await store.tokens.match(secret))?.token.id, t.id);
    assert.equal((await store.tokens.match(secret))?.token.id, t.id, 'a second lookup answers the same');

    // Rotation without a grace period: the old secret stops at once, the new one matches.
    const next = generateTokenSecret();
    await store.tokens.rotate(t.id, next, { at: new Date(0).toISOString(), expiresAt: null, previousValidUntil: null });
    assert.equal(await store.tokens.match(secret), null);
    assert.equal((await store.tokens.match(next))?.token.id, t.id);

    // With a grace period the old secret matches as the previous one.
    const third = generateTokenSecret();
    const until = new Date(Date.UTC(2030, 0, 1)).toISOString();
    await store.tokens.rotate(t.id, third, { at: new Date(0).toISOString(), expiresAt: null, previousValidUntil: until });
    assert.equal((await store.tokens.match(next))?.previousValidUntil, until);
    assert.equal((await store.tokens.match(third))?.previousValidUntil, null);

    await store.tokens.revoke(t.id);
    assert.equal(await store.tokens.match(third), null);
    assert.equal(await store.tokens.match(next), null);

    // A secret looked up before it existed matches once it is created (misses are not kept).
    const later = generateTokenSecret();
    assert.equal(await store.tokens.match(later), null);
    const u = await store.tokens.create({ name: 'b', tenant: null, role: 'admin' }, later);
    assert.equal((await store.tokens.match(later))?.token.id, u.id);
  });

  test(`${backend}: a revoke inside a transaction takes effect once it commits; a rolled-back one changes nothing`, async () => {
    const store = await fresh(backend);
    const secret = generateTokenSecret();
    const t = await store.tokens.create({ name: 'c', tenant: null, role: 'admin' }, secret);
    assert.ok(await store.tokens.match(secret));
    await assert.rejects(store.tx(async (tx) => {
      await tx.tokens.revoke(t.id);
      assert.equal(await tx.tokens.match(secret), null, 'the transaction sees its own revoke');
      throw new Error('roll back');
    }), /roll back/);
    assert.equal((await store.tokens.match(secret))?.token.id, t.id, 'rolled back: still valid');
    await store.tx(async (tx) => {
      await tx.tokens.revoke(t.id);
    });
    assert.equal(await store.tokens.match(secret), null, 'committed: revoked');
  });
}

// PostgreSQL: several processes share the database, so each keeps its lookups only while it hears the
// others' token writes (NOTIFY fleetplane_tokens, migration 2130) and for at most a TTL. Two stores on
// one database stand for two `serve` replicas (each has its own pool and listener connection).
const pgOnly = { skip: process.env.FLEETPLANE_TEST_DATABASE_URL ? false : 'needs FLEETPLANE_TEST_DATABASE_URL' };

async function waitFor(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  // Conditions, not time: the bound only stops a broken run (notifications arrive in milliseconds).
  for (let i = 0; i < 6000; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Revokes the token in SQL with the notifying trigger off for that one transaction: no notification, as if it were lost. */
async function revokeSilently(store: SqlStore, id: string): Promise<void> {
  await store.db.transaction(async (q) => {
    await q.query('ALTER TABLE api_tokens DISABLE TRIGGER api_tokens_notify');
    await q.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [id]);
    await q.query('ALTER TABLE api_tokens ENABLE TRIGGER api_tokens_notify');
  });
}

test('postgres: a revoke by another replica takes effect here when its notification arrives', pgOnly, async () => {
  const db = await DB_BACKENDS.postgres();
  const a = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  await a.migrate();
  const b = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
  opened.push({ store: a, db }, { store: b, db: { ...db, cleanup: async () => undefined } });
  const secret = generateTokenSecret();
  const t = await b.tokens.create({ name: 'r', tenant: null, role: 'admin' }, secret);
  assert.equal((await a.tokens.match(secret))?.token.id, t.id);
  // The first lookup subscribes; once subscribed, lookups are kept.
  await waitFor('replica A to subscribe', async () => (await a.tokens.match(secret)) !== null && a.tokenCache.size === 1);

  await b.tokens.revoke(t.id);
  await waitFor('the revoke to reach replica A', async () => (await a.tokens.match(secret)) === null);
  assert.equal(a.tokenCache.size, 0, 'nothing kept for a revoked secret');

  // Rotation elsewhere without a grace period: the old secret stops here too, the new one matches.
  const s2 = generateTokenSecret();
  const t2 = await b.tokens.create({ name: 's', tenant: null, role: 'admin' }, s2);
  await waitFor('replica A to match the new token', async () => (await a.tokens.match(s2))?.token.id === t2.id);
  const s3 = generateTokenSecret();
  await b.tokens.rotate(t2.id, s3, { at: new Date(0).toISOString(), expiresAt: null, previousValidUntil: null });
  await waitFor('the rotation to reach replica A', async () => (await a.tokens.match(s2)) === null);
  assert.equal((await a.tokens.match(s3))?.token.id, t2.id);
});

test('postgres: a kept lookup is trusted for the TTL at most, and not at all while the listener is down', pgOnly, async () => {
  const db = await DB_BACKENDS.postgres();
  let now = 1_000_000;
  const a = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, tokenCache: { ttlMs: 10_000, now: () => now } });
  await a.migrate();
  opened.push({ store: a, db });
  const secret = generateTokenSecret();
  const t = await a.tokens.create({ name: 't', tenant: null, role: 'admin' }, secret);
  await waitFor('the cache to keep the lookup', async () => (await a.tokens.match(secret)) !== null && a.tokenCache.active && a.tokenCache.size === 1);

  // A revoke whose notification is lost: the kept entry answers (proof it is cached) until the TTL ends.
  await revokeSilently(a, t.id);
  now += 9_999;
  assert.equal((await a.tokens.match(secret))?.token.id, t.id, 'within the TTL the kept entry answers');
  now += 1;
  assert.equal(await a.tokens.match(secret), null, 'after the TTL the database answers: revoked');

  // The listener's connection dropped (an admin, a restart): nothing is answered from memory until it is back.
  const s2 = generateTokenSecret();
  const t2 = await a.tokens.create({ name: 'u', tenant: null, role: 'admin' }, s2);
  await waitFor('the second token to be kept', async () => (await a.tokens.match(s2)) !== null && a.tokenCache.size === 1);
  const lostBefore = a.tokenCache.losses;
  const killed = await a.db.query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN fleetplane_tokens%'`);
  assert.equal(killed.rows[0]?.n, 1, 'one listener connection per process');
  await waitFor('the cache to hear that its listener is gone', () => a.tokenCache.losses > lostBefore);
  await revokeSilently(a, t2.id);
  assert.equal(await a.tokens.match(s2), null, 'what was kept before the drop is gone: the database answers');
  // It reconnects by itself (1-5 s) and is used again.
  const s3 = generateTokenSecret();
  await a.tokens.create({ name: 'v', tenant: null, role: 'admin' }, s3);
  await waitFor('the listener to be back', () => a.tokenCache.active);
  await waitFor('lookups to be kept again', async () => (await a.tokens.match(s3)) !== null && a.tokenCache.size === 1);
});
