// The one store test suite, run against every backend (store-embedded.test.ts, store-postgres.test.ts).
// Each backend gets a fresh database; tests use distinct slugs so they share it without interference.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConflictError, InputError, NotFoundError, PreconditionFailedError } from '../../src/domain/errors.ts';
import type { Environment, Revision, Tenant } from '../../src/domain/types.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { freshEmbedded, freshPostgres, type TestDatabase } from '../helpers/db.ts';
import { repoTests } from './store-repos.suite.ts';

type NewTenant = Omit<Tenant, 'resourceVersion' | 'createdAt' | 'updatedAt'>;
type NewEnv = Omit<Environment, 'resourceVersion' | 'createdAt' | 'updatedAt'>;

export const tenant = (slug: string, extra: Partial<NewTenant> = {}): NewTenant => ({
  slug, name: `Tenant ${slug}`, tier: 'shared', channel: 'saas', labels: { plan: 'gold' }, ...extra,
});

export const env = (t: string, name: string, extra: Partial<NewEnv> = {}): NewEnv => ({
  tenant: t, name, type: 'prod', blueprint: 'shop', version: '1.4.0', values: { replicas: 2, tags: ['a', 'b'] },
  placement: { cluster: 'eu-1', namespace: `${t}-${name}` }, delivery: 'direct', selfHeal: true, health: 'Unknown', conditions: [], ...extra,
});

/** Each backend a store-level test runs on: embedded always, PostgreSQL when FLEETPLANE_TEST_DATABASE_URL is set. */
export const storeBackends: Array<[string, () => Promise<TestDatabase>]> = [['embedded', freshEmbedded], ...(process.env.FLEETPLANE_TEST_DATABASE_URL ? [['postgres', freshPostgres] as [string, () => Promise<TestDatabase>]] : [])];

/** A fresh migrated store with tenants acme and other, each with a `dev` environment; closed and dropped after `fn`. */
export async function withTwoTenantStore(fresh: () => Promise<TestDatabase>, fn: (store: SqlStore) => Promise<void>): Promise<void> {
  const db = await fresh();
  let store: SqlStore | undefined;
  try {
    store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, maxConnections: 8 });
    await store.migrate();
    for (const t of ['acme', 'other']) {
      await store.tenants.create(tenant(t));
      await store.environments.create(env(t, 'dev'));
    }
    await fn(store);
  } finally {
    await store?.close();
    await db.cleanup();
  }
}

export interface SuiteContext {
  store: SqlStore;
  handle: TestDatabase;
  reopen(): Promise<SqlStore>;
}

export function storeSuite(name: string, fresh: () => Promise<TestDatabase>, extra?: (ctx: () => SuiteContext) => void): void {
  describe(`store (${name})`, () => {
    let handle: TestDatabase;
    let store: SqlStore;
    const open = async () => {
      const s = await openStore({ databaseUrl: handle.databaseUrl, dataDir: handle.dataDir });
      await s.migrate();
      return s;
    };
    const ctx = (): SuiteContext => ({ store, handle, reopen: async () => { await store.close(); store = await open(); return store; } });

    before(async () => {
      handle = await fresh();
      store = await open();
    });
    after(async () => {
      await store?.close();
      await handle?.cleanup();
    });

    tenantTests(() => store);
    environmentTests(() => store);
    operationTests(() => store);
    transactionTests(() => store);
    secretTests(ctx);
    releaseTests(() => store);
    journalTests(() => store);
    repoTests(() => store);
    extra?.(ctx);
    restartTests(ctx);
  });
}

function tenantTests(s: () => SqlStore): void {
  test('tenants: create, get, duplicate slug is a conflict', async () => {
    const created = await s().tenants.create(tenant('acme', { region: 'eu-west', maintenanceWindow: { days: ['sat'], start: '02:00', durationMinutes: 60 } }));
    assert.equal(created.resourceVersion, 1);
    assert.deepEqual(await s().tenants.get('acme'), created);
    assert.equal(created.maintenanceWindow?.start, '02:00');
    await assert.rejects(s().tenants.create(tenant('acme')), ConflictError);
    assert.equal(await s().tenants.get('nobody'), null);
  });

  test('tenants: every write bumps resourceVersion; a stale expectedVersion is PreconditionFailed', async () => {
    await s().tenants.create(tenant('occ'));
    const v2 = await s().tenants.update('occ', { name: 'Renamed', labels: { plan: 'silver' } }, 1);
    assert.equal(v2.resourceVersion, 2);
    assert.equal(v2.name, 'Renamed');
    assert.deepEqual(v2.labels, { plan: 'silver' });
    await assert.rejects(s().tenants.update('occ', { name: 'Stale' }, 1), PreconditionFailedError);
    assert.equal((await s().tenants.get('occ'))?.name, 'Renamed');
    const v3 = await s().tenants.update('occ', { region: 'us' });
    assert.equal(v3.resourceVersion, 3);
    await assert.rejects(s().tenants.update('ghost', { name: 'x' }, 1), NotFoundError);
  });

  test('tenants: of concurrent updates at one version exactly one wins', async () => {
    await s().tenants.create(tenant('race'));
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => s().tenants.update('race', { name: `w${i}` }, 1)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof PreconditionFailedError, String(r.reason));
    assert.equal((await s().tenants.get('race'))?.resourceVersion, 2);
  });

  test('tenants: soft delete hides from list, keeps the row, is idempotent', async () => {
    await s().tenants.create(tenant('gone'));
    await s().tenants.markDeleted('gone');
    await s().tenants.markDeleted('gone');
    const t = await s().tenants.get('gone');
    assert.ok(t?.deletedAt);
    assert.equal(t.resourceVersion, 2);
    const listed = await s().tenants.list({ limit: 500 });
    assert.ok(!listed.items.some((x) => x.slug === 'gone'));
    await assert.rejects(s().tenants.update('gone', { name: 'back' }), NotFoundError);
    await assert.rejects(s().tenants.create(tenant('gone')), ConflictError);
  });

  test('pagination: keyset pages are stable, complete and capped; bad cursors are InputErrors', async () => {
    for (let i = 0; i < 7; i++) await s().tenants.create(tenant(`pg-${i}`, { labels: { page: 'yes' } }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s().tenants.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((t) => t.slug));
      cursor = page.next;
      pages++;
    } while (cursor);
    const all = (await s().tenants.list({ limit: 500 })).items.map((t) => t.slug);
    assert.deepEqual(seen, all);
    assert.deepEqual([...seen].sort(), seen);
    assert.ok(pages >= 3);
    assert.deepEqual((await s().tenants.list({ tenant: 'pg-3' })).items.map((t) => t.slug), ['pg-3']);
    await assert.rejects(s().tenants.list({ cursor: 'not-a-cursor' }), InputError);
    await assert.rejects(s().tenants.list({ limit: 0 }), InputError);
    const big = await s().tenants.list({ limit: 100_000 });
    assert.ok(big.items.length <= 500);
  });
}

function environmentTests(s: () => SqlStore): void {
  test('environments: create needs the tenant; CRUD; PATCH with versions; filters', async () => {
    await assert.rejects(s().environments.create(env('no-such-tenant', 'prod')), NotFoundError);
    await s().tenants.create(tenant('envco'));
    const e = await s().environments.create(env('envco', 'prod'));
    assert.deepEqual(e.values, { replicas: 2, tags: ['a', 'b'] });
    assert.deepEqual(await s().environments.get('envco', 'prod'), e);
    await assert.rejects(s().environments.create(env('envco', 'prod')), ConflictError);
    await s().environments.create(env('envco', 'staging', { type: 'staging', placement: { cluster: 'us-1', namespace: 'envco-staging' } }));

    const cond = { type: 'Ready', status: 'True' as const, reason: 'Applied', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00.000Z' };
    const u = await s().environments.update('envco', 'prod', { health: 'Ready', conditions: [cond], appliedRevision: 'r1', placement: { cluster: 'eu-2', namespace: 'x' } }, 1);
    assert.equal(u.resourceVersion, 2);
    assert.deepEqual(u.conditions, [cond]);
    assert.deepEqual(u.placement, { cluster: 'eu-2', namespace: 'x' });
    await assert.rejects(s().environments.update('envco', 'prod', { health: 'Failed' }, 1), PreconditionFailedError);
    await assert.rejects(s().environments.update('envco', 'nope', { health: 'Failed' }), NotFoundError);

    assert.deepEqual((await s().environments.list({ tenant: 'envco' })).items.map((x) => x.name), ['prod', 'staging']);
    assert.deepEqual((await s().environments.list({ cluster: 'us-1' })).items.map((x) => `${x.tenant}/${x.name}`), ['envco/staging']);
    const p1 = await s().environments.list({ tenant: 'envco', limit: 1 });
    assert.equal(p1.items[0]?.name, 'prod');
    const p2 = await s().environments.list({ tenant: 'envco', limit: 1, cursor: p1.next! });
    assert.equal(p2.items[0]?.name, 'staging');
    assert.equal(p2.next, undefined);

    await s().environments.delete('envco', 'staging');
    await s().environments.delete('envco', 'staging');
    assert.equal(await s().environments.get('envco', 'staging'), null);
  });
}

function operationTests(s: () => SqlStore): void {
  const op = (key: string | null, extra = {}) => ({ kind: 'onboard' as const, tenant: 'opsco', environment: 'prod', params: { a: 1 }, steps: ['render', 'apply'], idempotencyKey: key, ...extra });

  test('operations: a retried create with the same idempotency key returns the same operation', async () => {
    const first = await s().operations.create(op('key-1'));
    assert.equal(first.created, true);
    assert.equal(first.operation.state, 'pending');
    assert.deepEqual(first.operation.steps.map((x) => [x.name, x.state, x.attempts]), [['render', 'pending', 0], ['apply', 'pending', 0]]);
    const again = await s().operations.create(op('key-1'));
    assert.equal(again.created, false);
    assert.deepEqual(again.operation, first.operation);
    assert.deepEqual(await s().operations.findByIdempotencyKey('key-1'), first.operation);
    const many = await s().operations.create(op('key-2'));
    const found = await s().operations.findByIdempotencyKeys(['key-2', 'never-used', 'key-1']);
    assert.deepEqual(found.map((o) => o.id).sort(), [first.operation.id, many.operation.id].sort(), 'unused keys are absent');
    assert.deepEqual(found.find((o) => o.id === first.operation.id), first.operation);
    assert.deepEqual(await s().operations.findByIdempotencyKeys([]), []);
    assert.deepEqual(await s().operations.get(first.operation.id), first.operation);
    await assert.rejects(s().operations.create(op('key-1', { kind: 'offboard' })), ConflictError);
    const a = await s().operations.create(op(null));
    const b = await s().operations.create(op(null));
    assert.notEqual(a.operation.id, b.operation.id);
  });

  test('operations: concurrent creates with one key make one row and all get it', async () => {
    const results = await Promise.all(Array.from({ length: 16 }, () => s().operations.create(op('key-concurrent'))));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.operation.id)).size, 1);
    const { rows } = await s().db.query<{ n: number }>('SELECT count(*)::int AS n FROM operations WHERE idempotency_key = $1', ['key-concurrent']);
    assert.equal(rows[0]?.n, 1);
  });

  test('operations: list filters and pages newest first', async () => {
    // More than 10 rows and pages: ordering must be numeric, not by the text of the cursor key.
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push((await s().operations.create(op(null, { tenant: 'listco', environment: `e${i % 2}` }))).operation.id);
    const newestFirst = [...ids].reverse();
    const all = await s().operations.list({ tenant: 'listco' });
    assert.deepEqual(all.items.map((o) => o.id), newestFirst);
    const e1 = await s().operations.list({ tenant: 'listco', environment: 'e1' });
    assert.deepEqual(e1.items.map((o) => o.id), newestFirst.filter((_, i) => i % 2 === 1));
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s().operations.list({ tenant: 'listco', limit: 2, ...(cursor ? { cursor } : {}) });
      walked.push(...page.items.map((o) => o.id));
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(walked, newestFirst);
    assert.equal((await s().operations.list({ tenant: 'listco', state: 'succeeded' })).items.length, 0);
  });
}

function transactionTests(s: () => SqlStore): void {
  test('tx: tenant + environments + operation commit together', async () => {
    const out = await s().tx(async (tx) => {
      await tx.tenants.create(tenant('txok'));
      await tx.environments.create(env('txok', 'prod'));
      return tx.operations.create({ kind: 'onboard', tenant: 'txok', environment: 'prod', params: {}, steps: ['apply'], idempotencyKey: 'tx-ok' });
    });
    assert.equal(out.created, true);
    assert.ok(await s().tenants.get('txok'));
    assert.ok(await s().environments.get('txok', 'prod'));
    assert.equal((await s().operations.findByIdempotencyKey('tx-ok'))?.id, out.operation.id);
  });

  test('tx: a throw rolls back every write', async () => {
    await assert.rejects(
      s().tx(async (tx) => {
        await tx.tenants.create(tenant('txbad'));
        await tx.environments.create(env('txbad', 'prod'));
        await tx.operations.create({ kind: 'onboard', tenant: 'txbad', params: {}, steps: ['apply'], idempotencyKey: 'tx-bad' });
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await s().tenants.get('txbad'), null);
    assert.equal(await s().environments.get('txbad', 'prod'), null);
    assert.equal(await s().operations.findByIdempotencyKey('tx-bad'), null);
    // A failed statement inside a transaction rolls back the earlier ones too.
    await assert.rejects(s().tx(async (tx) => {
      await tx.tenants.create(tenant('txdup'));
      await tx.tenants.create(tenant('txdup'));
    }), ConflictError);
    assert.equal(await s().tenants.get('txdup'), null);
  });
}

function secretTests(ctx: () => SuiteContext): void {
  const kubeconfig = 'apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: SUPER-SECRET-TOKEN-1234567890\n';

  test('clusters: credentials are encrypted at rest and only credentials() returns them', async () => {
    const s = ctx().store;
    const c = await s.clusters.upsert({ name: 'eu-1', provider: 'local', region: 'eu', labels: { gpu: 'no' }, role: 'shared', apiServer: 'https://127.0.0.1:6443', credentials: kubeconfig, capacity: { cpuMillis: 8000, memoryBytes: 1 << 30, gpus: 0, nodes: 2 } });
    assert.equal(JSON.stringify(c).includes('SUPER-SECRET'), false);
    assert.equal(JSON.stringify(await s.clusters.list({})).includes('SUPER-SECRET'), false);
    const { rows } = await s.db.query<Record<string, unknown>>("SELECT * FROM clusters WHERE name = 'eu-1'");
    const raw = JSON.stringify(rows);
    assert.equal(raw.includes('SUPER-SECRET'), false);
    assert.equal(raw.includes(Buffer.from(kubeconfig).toString('base64').slice(0, 40)), false);
    assert.match(String(rows[0]?.credentials_enc), /^v1\./);
    assert.equal(await s.clusters.credentials('eu-1'), kubeconfig);
    // A capacity refresh without credentials keeps them.
    await s.clusters.upsert({ name: 'eu-1', provider: 'local', region: 'eu', labels: {}, role: 'shared', apiServer: 'https://127.0.0.1:6443', kubernetesVersion: '1.31.0' });
    assert.equal(await s.clusters.credentials('eu-1'), kubeconfig);
    assert.equal((await s.clusters.get('eu-1'))?.kubernetesVersion, '1.31.0');
    assert.equal(await s.clusters.credentials('nope'), null);
    // The generated key file is private to its owner (embedded and postgres both keep it in dataDir).
    assert.equal((await stat(join(ctx().handle.dataDir, 'secret.key'))).mode & 0o777, 0o600);
  });

  test('clusters: a ciphertext moved to another row does not decrypt', async () => {
    const s = ctx().store;
    await s.clusters.upsert({ name: 'other', provider: 'local', region: 'eu', labels: {}, role: 'shared', apiServer: 'https://127.0.0.2', credentials: 'other-secret' });
    await s.db.query("UPDATE clusters SET credentials_enc = (SELECT credentials_enc FROM clusters WHERE name = 'eu-1') WHERE name = 'other'");
    await assert.rejects(s.clusters.credentials('other'));
    await s.clusters.delete('other');
    assert.equal(await s.clusters.get('other'), null);
  });

  test('tokens: only a hash is stored; verify, revoke, count', async () => {
    const s = ctx().store;
    const secret = 'fp_test-secret-value-that-must-never-be-stored-0123456789';
    const rec = await s.tokens.create({ name: 'ci', tenant: 'acme', role: 'tenant-admin' }, secret);
    const { rows } = await s.db.query<Record<string, unknown>>('SELECT * FROM api_tokens');
    assert.equal(JSON.stringify(rows).includes(secret), false);
    assert.equal(JSON.stringify(rows).includes('never-be-stored'), false);
    assert.deepEqual(await s.tokens.verify(secret), rec);
    assert.equal(await s.tokens.verify(`${secret}x`), null);
    assert.equal(await s.tokens.verify(''), null);
    const before = await s.tokens.count();
    await s.tokens.revoke(rec.id);
    assert.equal(await s.tokens.verify(secret), null);
    assert.equal(await s.tokens.count(), before - 1);
    assert.ok(!(await s.tokens.list()).some((t) => t.id === rec.id));
  });
}

function releaseTests(s: () => SqlStore): void {
  test('blueprints: releases are immutable; same digest is idempotent', async () => {
    const spec = { components: [{ name: 'web', image: 'shop:1.4.0' }] };
    const first = await s().blueprints.publish({ name: 'shop', version: '1.4.0', spec, digest: 'sha256:aaa' });
    assert.equal(first.created, true);
    assert.deepEqual(first.release.spec, spec);
    const again = await s().blueprints.publish({ name: 'shop', version: '1.4.0', spec, digest: 'sha256:aaa' });
    assert.equal(again.created, false);
    await assert.rejects(s().blueprints.publish({ name: 'shop', version: '1.4.0', spec: { changed: true }, digest: 'sha256:bbb' }), ConflictError);
    assert.equal((await s().blueprints.get('shop', '1.4.0'))?.digest, 'sha256:aaa');
    await s().blueprints.publish({ name: 'shop', version: '1.5.0', spec, digest: 'sha256:ccc' });
    await s().blueprints.publish({ name: 'api', version: '0.1.0', spec, digest: 'sha256:ddd' });
    assert.deepEqual((await s().blueprints.list({ name: 'shop' })).items.map((r) => r.version), ['1.4.0', '1.5.0']);
    const p1 = await s().blueprints.list({ limit: 2 });
    const p2 = await s().blueprints.list({ limit: 2, cursor: p1.next! });
    assert.deepEqual([...p1.items, ...p2.items].map((r) => `${r.name}@${r.version}`), ['api@0.1.0', 'shop@1.4.0', 'shop@1.5.0']);
  });

  test('revisions: save is idempotent and round-trips objects', async () => {
    const rev: Revision = {
      id: 'rev-abc', tenant: 'acme', environment: 'prod', blueprint: 'shop', version: '1.4.0',
      objects: [{ hash: 'h1', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'ns', labels: { a: 'b' } }, data: { k: 'v' } } }],
      helmValues: [{ component: 'db', chart: 'postgresql', chartVersion: '1.0.0', yaml: 'a: 1\n' }],
    };
    await s().revisions.save(rev);
    await s().revisions.save(rev);
    await s().revisions.save({ ...rev, id: 'rev-def', version: '1.5.0' });
    const got = await s().revisions.get('acme', 'prod', 'rev-abc');
    assert.ok(got?.createdAt);
    assert.deepEqual({ ...got, createdAt: undefined }, { ...rev, createdAt: undefined });
    assert.deepEqual((await s().revisions.list('acme', 'prod')).map((r) => r.id), ['rev-def', 'rev-abc']);
    assert.equal(await s().revisions.get('acme', 'prod', 'missing'), null);
  });
}

function journalTests(s: () => SqlStore): void {
  test('db: both backends return the same JS types (int8 and count(*) as numbers, jsonb parsed, timestamptz as Date)', async () => {
    const { rows } = await s().db.query<Record<string, unknown>>(
      "SELECT 5::bigint AS i8, count(*) AS n, ARRAY[1, 2]::bigint[] AS arr, '{\"a\":[1]}'::jsonb AS j, now() AS ts, 1.5::float8 AS f FROM (VALUES (1)) v",
    );
    assert.deepEqual({ ...rows[0], ts: undefined }, { i8: 5, n: 1, arr: [1, 2], j: { a: [1] }, ts: undefined, f: 1.5 });
    assert.ok(rows[0]?.ts instanceof Date);
  });

  test('events: recordOnce dedupes by source and id', async () => {
    assert.equal(await s().events.recordOnce('crm', 'evt-1', 'customer.signed'), true);
    assert.equal(await s().events.recordOnce('crm', 'evt-1', 'customer.signed'), false);
    assert.equal(await s().events.recordOnce('ci', 'evt-1', 'image.built'), true);
  });

  test('audit: append-only, the database refuses edits', async () => {
    await s().audit.append({ actor: 'admin', action: 'tenant.create', tenant: 'acme', target: 'tenants/acme', detail: { via: 'test' } });
    const page = await s().audit.list({ tenant: 'acme' });
    assert.equal(page.items[0]?.action, 'tenant.create');
    assert.deepEqual(page.items[0]?.detail, { via: 'test' });
    await assert.rejects(s().db.query("UPDATE audit_log SET actor = 'mallory'"), /append-only/);
    await assert.rejects(s().db.query('DELETE FROM audit_log'), /append-only/);
    assert.equal((await s().audit.list({ tenant: 'acme' })).items[0]?.actor, 'admin');
  });
}

function restartTests(ctx: () => SuiteContext): void {
  test('restart: closing and reopening keeps all data', async () => {
    const before = ctx().store;
    const op = await before.operations.findByIdempotencyKey('key-1');
    const tenants = await before.tenants.list({ limit: 500 });
    const s = await ctx().reopen();
    assert.deepEqual(await s.tenants.list({ limit: 500 }), tenants);
    assert.deepEqual(await s.operations.findByIdempotencyKey('key-1'), op);
    assert.ok(await s.environments.get('envco', 'prod'));
    assert.equal((await s.blueprints.get('shop', '1.4.0'))?.digest, 'sha256:aaa');
    assert.ok(await s.revisions.get('acme', 'prod', 'rev-abc'));
    assert.equal(await s.events.recordOnce('crm', 'evt-1', 'customer.signed'), false);
    // Same data dir, same generated key: the credentials still decrypt.
    assert.ok((await s.clusters.credentials('eu-1'))?.includes('SUPER-SECRET-TOKEN'));
    const { rows } = await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM fleetplane_migrations');
    assert.ok(Number(rows[0]?.n) >= 1);
  });
}
