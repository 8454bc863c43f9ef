// Idempotency-Key on requests whose result is not an Operation, over HTTP on both store backends:
// POST /v1/tokens replays the same token and secret (kept sealed, never in plain text, for a day;
// destroyed on revoke) and POST /v1/tenants without environments replays its 201. Plus keyed
// retries that used to 404 once the tenant or environment was offboarded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlStore } from '../../src/adapters/store/index.ts';
import { BACKENDS, counts, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const REUSED = 'https://fleetplane.io/problems/idempotency-key-reused';

/** Tables (public schema) whose rows, as text, contain needle. */
async function tablesContaining(store: SqlStore, needle: string): Promise<string[]> {
  const { rows } = await store.db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  const hits: string[] = [];
  for (const { tablename } of rows) {
    const r = await store.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${tablename}" AS t WHERE strpos(t::text, $1) > 0`, [needle]);
    if (Number(r.rows[0]?.n) > 0) hits.push(tablename);
  }
  return hits;
}

async function tokenRows(store: SqlStore, name: string): Promise<number> {
  const { rows } = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens WHERE name = $1', [name]);
  return Number(rows[0]?.n);
}

async function idempotencyRow(store: SqlStore, key: string) {
  const { rows } = await store.db.query<{ response_enc: string | null; expires_at: Date | null }>(
    'SELECT response_enc, expires_at FROM idempotency_records WHERE key = $1', [`admin/${key}`]);
  return rows[0];
}

for (const backend of BACKENDS) {
  describe(`Idempotency-Key beyond operations (${backend})`, () => {
    let h: Harness;
    let store: SqlStore;
    before(async () => {
      h = await harness(backend);
      store = h.store as SqlStore;
      await publishSample(h);
      assert.equal((await h.req('POST', '/v1/tenants', { body: { slug: 'tok', name: 'Tok', tier: 'shared' } })).status, 201);
    });
    after(async () => h?.close());

    const tokenBody = { name: 'ci-bot', role: 'tenant-viewer', tenant: 'tok' };

    test('POST /v1/tokens: a keyed retry gets the same token and secret; one row; secret never in plain text', async () => {
      const headers = { 'idempotency-key': 'tok-1' };
      const a = await h.req('POST', '/v1/tokens', { body: tokenBody, headers });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const b = await h.req('POST', '/v1/tokens', { body: tokenBody, headers });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      assert.equal(b.body.token.id, a.body.token.id);
      assert.equal(b.body.secret, a.body.secret);
      assert.deepEqual(b.body, a.body);
      assert.equal(b.headers.location, `/v1/tokens/${a.body.token.id}`);
      assert.equal(b.headers['cache-control'], 'no-store');
      assert.deepEqual([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']], [undefined, 'true']);
      assert.equal(await tokenRows(store, 'ci-bot'), 1, 'exactly one token row');
      assert.equal((await h.req('GET', '/v1/tenants/tok', { token: b.body.secret })).status, 200, 'the replayed secret works');

      const row = await idempotencyRow(store, 'tok-1');
      assert.ok(row?.response_enc, 'the response is kept, sealed');
      assert.match(row.response_enc, /^v1\./);
      assert.ok(row.expires_at, 'with an expiry');
      assert.deepEqual(await tablesContaining(store, a.body.secret), [], 'the secret is in no table in plain text');
      assert.ok((await tablesContaining(store, a.body.token.id)).includes('api_tokens'), 'the scan finds what is stored in plain text');
    });

    test('POST /v1/tokens: the same key with a different body → 422, nothing new', async () => {
      const headers = { 'idempotency-key': 'tok-2' };
      const a = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'deployer' }, headers });
      assert.equal(a.status, 201);
      const before = await counts(h.store);
      const other = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'deployer', role: 'tenant-admin' }, headers });
      assert.equal(other.status, 422, JSON.stringify(other.body));
      assert.equal(other.body.type, REUSED);
      assert.equal(other.body.errors[0].field, 'header:idempotency-key');
      assert.equal(other.body.secret, undefined);
      assert.deepEqual(await counts(h.store), before);
      assert.equal(await tokenRows(store, 'deployer'), 1);
    });

    test('POST /v1/tokens: concurrent retries with one key create one token, all answers carry its secret', async () => {
      const headers = { 'idempotency-key': 'tok-race' };
      const rs = await Promise.all([1, 2, 3].map(() => h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'racer' }, headers })));
      for (const r of rs) assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(new Set(rs.map((r) => r.body.token.id)).size, 1);
      assert.equal(new Set(rs.map((r) => r.body.secret)).size, 1);
      assert.equal(await tokenRows(store, 'racer'), 1);
    });

    test('POST /v1/tokens: after a revoke the replay answers 409 naming the revoked token; the sealed secret is gone', async () => {
      const headers = { 'idempotency-key': 'tok-revoked' };
      const a = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'short-lived' }, headers });
      assert.equal(a.status, 201);
      assert.equal((await h.req('DELETE', `/v1/tokens/${a.body.token.id}`)).status, 204);
      assert.equal((await idempotencyRow(store, 'tok-revoked'))?.response_enc, null, 'revoking destroys the kept response');
      const r = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'short-lived' }, headers });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.type, 'https://fleetplane.io/problems/conflict');
      assert.match(r.body.detail, new RegExp(`token "${a.body.token.id}" .*was revoked`));
      assert.equal(r.body.secret, undefined);
      assert.equal(await tokenRows(store, 'short-lived'), 1, 'no new token');
    });

    test('POST /v1/tokens: once the record expired, the key creates a new token and the old sealed response is purged', async () => {
      const headers = { 'idempotency-key': 'tok-expired' };
      const a = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'expiring' }, headers });
      assert.equal(a.status, 201);
      await store.db.query("UPDATE idempotency_records SET expires_at = now() - interval '1 second' WHERE key = $1", ['admin/tok-expired']);
      const b = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'expiring' }, headers });
      assert.equal(b.status, 201);
      assert.notEqual(b.body.token.id, a.body.token.id);
      assert.notEqual(b.body.secret, a.body.secret);
      const { rows } = await store.db.query<{ target: string }>('SELECT target FROM idempotency_records WHERE key = $1', ['admin/tok-expired']);
      assert.deepEqual(rows.map((r) => r.target), [`token/${b.body.token.id}`], 'the expired record was replaced');
    });

    test('POST /v1/tokens: a key that already started an operation is refused with 422', async () => {
      const headers = { 'idempotency-key': 'shared-with-onboarding' };
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('keyed-op', ['prod']), headers })).status, 202);
      const r = await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'stealer' }, headers });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.type, REUSED);
      assert.equal(await tokenRows(store, 'stealer'), 0);
    });

    test('a key a token creation used cannot start an Operation on any route (422, nothing queued)', async () => {
      const headers = { 'idempotency-key': 'token-first' };
      assert.equal((await h.req('POST', '/v1/tokens', { body: { ...tokenBody, name: 'first' }, headers })).status, 201);
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('keyed-target', ['prod']) })).status, 202);
      const before = await counts(h.store);
      const env = (tenantBody('x', ['staging']).environments as unknown[])[0];
      const attempts = [
        await h.req('POST', '/v1/tenants/keyed-target/environments', { body: env, headers }),
        await h.req('POST', '/v1/tenants/keyed-target/environments/prod:restart', { body: {}, headers }),
        await h.req('DELETE', '/v1/tenants/keyed-target', { headers }),
        await h.req('POST', '/v1/tenants', { body: tenantBody('keyed-other', ['prod']), headers }),
      ];
      assert.deepEqual(attempts.map((r) => [r.status, r.body.type]), attempts.map(() => [422, REUSED]), JSON.stringify(attempts.map((r) => r.body)));
      assert.deepEqual(await counts(h.store), before, 'nothing was queued or created');
    });

    test('POST /v1/tenants without environments: a keyed retry replays the 201 and creates nothing', async () => {
      const body = { slug: 'bare', name: 'Bare Co', tier: 'dedicated', labels: { plan: 'trial' } };
      const headers = { 'idempotency-key': 'bare-1' };
      const a = await h.req('POST', '/v1/tenants', { body, headers });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const before = await counts(h.store);
      const b = await h.req('POST', '/v1/tenants', { body, headers });
      assert.equal(b.status, 201, JSON.stringify(b.body));
      assert.deepEqual(b.body, a.body);
      assert.deepEqual([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']], [undefined, 'true']);
      assert.equal(b.headers.location, a.headers.location);
      assert.deepEqual(await counts(h.store), before);
      const other = await h.req('POST', '/v1/tenants', { body: { ...body, name: 'Other' }, headers });
      assert.equal(other.status, 422, JSON.stringify(other.body));
      assert.equal(other.body.type, REUSED);
      const withEnvs = await h.req('POST', '/v1/tenants', { body: tenantBody('bare'), headers });
      assert.equal(withEnvs.status, 422, 'adding environments under the same key is a different request');
      assert.deepEqual(await counts(h.store), before);
      const unkeyed = await h.req('POST', '/v1/tenants', { body });
      assert.equal(unkeyed.status, 409, 'without a key a second create is a conflict');
    });

    test('POST /v1/tenants without environments: concurrent retries with one key → one tenant, the same 201', async () => {
      const body = { slug: 'bare-race', name: 'Race', tier: 'shared' };
      const headers = { 'idempotency-key': 'bare-race' };
      const rs = await Promise.all([1, 2, 3].map(() => h.req('POST', '/v1/tenants', { body, headers })));
      for (const r of rs) assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(new Set(rs.map((r) => JSON.stringify(r.body))).size, 1);
    });

    test('a repeated customer.onboarded CloudEvent without environments answers 200 duplicate with the tenant', async () => {
      const ev = { specversion: '1.0', id: 'crm-77', source: '/crm', type: 'io.fleetplane.customer.onboarded', data: { slug: 'evt-bare', name: 'Evt', tier: 'shared' } };
      const a = await h.req('POST', '/v1/events', { body: ev });
      assert.equal(a.status, 202, JSON.stringify(a.body));
      const b = await h.req('POST', '/v1/events', { body: ev });
      assert.equal(b.status, 200, JSON.stringify(b.body));
      assert.equal(b.body.duplicate, true);
      assert.deepEqual(b.body.outcome, a.body.outcome);
    });

    test('keyed retries still replay after the tenant was offboarded (DELETE, add environment, actions)', async () => {
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('gone', ['prod']) })).status, 202);
      const env = (tenantBody('x', ['staging']).environments as unknown[])[0];
      const added = await h.req('POST', '/v1/tenants/gone/environments', { body: env, headers: { 'idempotency-key': 'gone-add' } });
      assert.equal(added.status, 202, JSON.stringify(added.body));
      const restart = await h.req('POST', '/v1/tenants/gone/environments/prod:restart', { body: {}, headers: { 'idempotency-key': 'gone-restart' } });
      assert.equal(restart.status, 202, JSON.stringify(restart.body));
      const del = await h.req('DELETE', '/v1/tenants/gone', { headers: { 'idempotency-key': 'gone-del' } });
      assert.equal(del.status, 202, JSON.stringify(del.body));
      // What the offboard Operation's last steps do: delete the environments, mark the tenant deleted.
      await h.store.environments.delete('gone', 'prod');
      await h.store.environments.delete('gone', 'staging');
      await h.store.tenants.markDeleted('gone');
      assert.equal((await h.req('GET', '/v1/tenants/gone')).status, 404);

      const delAgain = await h.req('DELETE', '/v1/tenants/gone', { headers: { 'idempotency-key': 'gone-del' } });
      assert.equal(delAgain.status, 202, JSON.stringify(delAgain.body));
      assert.equal(delAgain.body.id, del.body.id);
      const addAgain = await h.req('POST', '/v1/tenants/gone/environments', { body: env, headers: { 'idempotency-key': 'gone-add' } });
      assert.equal(addAgain.status, 202, JSON.stringify(addAgain.body));
      assert.equal(addAgain.body.id, added.body.id);
      const restartAgain = await h.req('POST', '/v1/tenants/gone/environments/prod:restart', { body: {}, headers: { 'idempotency-key': 'gone-restart' } });
      assert.equal(restartAgain.status, 202, JSON.stringify(restartAgain.body));
      assert.equal(restartAgain.body.id, restart.body.id);
      // Idempotent-Replayed marks the retries only.
      assert.deepEqual([added, restart, del].map((r) => r.headers['idempotent-replayed']), [undefined, undefined, undefined]);
      assert.deepEqual([addAgain, restartAgain, delAgain].map((r) => r.headers['idempotent-replayed']), ['true', 'true', 'true']);
      assert.equal((await h.req('DELETE', '/v1/tenants/gone', { headers: { 'idempotency-key': 'gone-del-2' } })).status, 404, 'a new key still sees the tenant is gone');
      assert.equal((await h.req('DELETE', '/v1/tenants/gone', { headers: { 'idempotency-key': 'gone-add' } })).status, 422, 'a key of another request is refused');
    });
  });
}
