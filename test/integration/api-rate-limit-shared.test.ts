// The rate limit across replicas: two API instances (as two `serve` replicas) on one PostgreSQL share
// one window per token through the store's counters (migration 2010), so the limit holds for the
// fleet of replicas, not per process (issue #14). Requests alternate between them; the 6th of a limit
// of 5 is a 429 from whichever replica it reaches, with Retry-After; another token is unaffected. The
// embedded store (one process) keeps counting in memory, checked in api-limits.test.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildApp } from '../../src/api/app.ts';
import type { Api } from '../../src/api/context.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';

const token = `fpt_shared_${'b'.repeat(24)}`;
const other = `fpt_other2_${'c'.repeat(24)}`;
let db: TestDatabase;
const stores: SqlStore[] = [];
const apps: Api[] = [];

before(async () => {
  db = await freshPostgres();
  for (let i = 0; i < 2; i++) {
    const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'd'.repeat(64), maxConnections: 4 });
    if (i === 0) {
      await store.migrate();
      await store.tokens.create({ name: 'admin', tenant: null, role: 'admin' }, token);
      await store.tokens.create({ name: 'other', tenant: null, role: 'admin' }, other);
    }
    stores.push(store);
    apps.push(await buildApp(await apiDeps(store, db.dataDir), { logger: false, limits: { rateLimitMax: 5, rateLimitWindowMs: 3_600_000 } }));
  }
});
after(async () => {
  for (const a of apps) await a.close();
  for (const s of stores) await s.close();
  await db?.cleanup();
});

test('two replicas, one window: the 6th request is a 429 whichever replica it reaches; other tokens go on', async () => {
  const call = (i: number, t = token) => apps[i % 2]!.inject({ method: 'GET', url: '/v1/tenants', headers: { authorization: `Bearer ${t}` } });
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await call(i));
  assert.deepEqual(answers.map((a) => a.statusCode), [200, 200, 200, 200, 200, 429], 'counted across both replicas');
  assert.deepEqual(answers.slice(0, 5).map((a) => a.headers['ratelimit-remaining']), ['4', '3', '2', '1', '0']);
  const last = answers[5]!;
  assert.match(String(last.headers['content-type']), /application\/problem\+json/);
  assert.equal(JSON.parse(last.body).type, 'https://fleetplane.io/problems/rate-limited');
  assert.ok(Number(last.headers['retry-after']) > 3000 && Number(last.headers['retry-after']) <= 3600, String(last.headers['retry-after']));
  assert.equal((await call(0)).statusCode, 429, 'the other replica refuses too');
  const fresh = await call(1, other);
  assert.equal(fresh.statusCode, 200);
  assert.equal(fresh.headers['ratelimit-remaining'], '4');
});

test('the counters are unlogged and updated in place: no WAL per request, no index but the key (migration 2120)', async () => {
  const rel = await stores[0]!.db.query<{ relpersistence: string }>(`SELECT relpersistence FROM pg_class WHERE relname = 'rate_limits'`);
  assert.equal(rel.rows[0]?.relpersistence, 'u', 'rate_limits is UNLOGGED');
  const idx = await stores[0]!.db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'rate_limits' ORDER BY indexname`);
  assert.deepEqual(idx.rows.map((r) => r.indexname), ['rate_limits_pkey']);
  // The sweep still finds ended windows without the index: an ended row goes, a live one stays.
  await stores[0]!.db.query(`INSERT INTO rate_limits (key, count, window_ends) VALUES ('ended', 3, now() - interval '1 minute') ON CONFLICT (key) DO NOTHING`);
  await stores[0]!.db.query('DELETE FROM rate_limits WHERE window_ends < now()');
  const left = await stores[0]!.db.query<{ key: string }>(`SELECT key FROM rate_limits WHERE key = 'ended'`);
  assert.equal(left.rows.length, 0);
});
