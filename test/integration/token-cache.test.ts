// The embedded store keeps token lookups in the process (src/adapters/store/tokens.ts TokenCache): a
// write through the store must take effect at once, as without the cache. Real PGlite; PostgreSQL
// stores are not cached, and the same sequence must answer the same there.
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
