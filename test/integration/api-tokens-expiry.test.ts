// API token expiry and rotation on both stores, with a manual clock behind ApiDeps.now: a token with
// ttlSeconds answers 401 "expired" once the clock passes it, FLEETPLANE_TOKEN_MAX_TTL caps (and
// defaults) the lifetime, and POST /v1/tokens/{id}:rotate gives the same token a new secret while the
// old one works for the grace period only. No real time passes in any of it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, apiDeps, harness, publishSample, tenantBody, type Harness, type Res } from '../helpers/api-harness.ts';
import { buildApp } from '../../src/api/app.ts';
import type { Api, ApiDeps } from '../../src/api/context.ts';
import { bootstrapAdminToken } from '../../src/api/auth.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

const START = Date.parse('2026-12-01T00:00:00.000Z');
const MAX_TTL = 3600;

for (const backend of BACKENDS) {
  describe(`token expiry and rotation (${backend})`, () => {
    const clock = new ManualClock(START);
    const now = (): Date => new Date(clock.monotonic());
    let h: Harness;
    let cappedDeps: ApiDeps;
    let cappedApp: Api;
    // The same store served with FLEETPLANE_TOKEN_MAX_TTL set (an embedded store opens once per process).
    const capped = {
      async req(method: string, url: string, o: { body?: unknown } = {}): Promise<Res> {
        const r = await cappedApp.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${h.adminToken}` }, ...(o.body ? { payload: o.body as object } : {}) });
        return { status: r.statusCode, headers: r.headers, body: JSON.parse(r.body) as unknown, raw: r.rawPayload };
      },
    };

    before(async () => {
      h = await harness(backend, undefined, { now });
      cappedDeps = await apiDeps(h.store, h.handle.dataDir, now, { tokenMaxTtlSeconds: MAX_TTL });
      cappedApp = await buildApp(cappedDeps, { logger: false, limits: { rateLimitMax: 0 } });
      await cappedApp.ready();
      await publishSample(h);
      for (const slug of ['alpha', 'beta']) assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody(slug) })).status, 202);
    });
    after(async () => {
      await cappedApp?.close();
      await cappedDeps?.changes.stop();
      await h?.close();
    });

    const create = async (app: Pick<Harness, 'req'>, body: Record<string, unknown>) => {
      const r = await app.req('POST', '/v1/tokens', { body: { name: 'ci', role: 'tenant-admin', tenant: 'alpha', ...body } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { token: { id: string; expiresAt: string | null; tenant: string; role: string }; secret: string };
    };
    const whoami = (app: Harness, token: string) => app.req('GET', '/v1/tenants/alpha', { token });

    test('a token with ttlSeconds works until the clock reaches its expiry, then 401 problem+json says expired', async () => {
      const t = await create(h, { ttlSeconds: 600 });
      assert.equal(t.token.expiresAt, new Date(clock.monotonic() + 600_000).toISOString());
      assert.equal((await whoami(h, t.secret)).status, 200);
      await clock.advance(599_000);
      assert.equal((await whoami(h, t.secret)).status, 200);
      await clock.advance(1_000);
      const r = await whoami(h, t.secret);
      assert.equal(r.status, 401);
      assert.match(String(r.headers['content-type']), /application\/problem\+json/);
      assert.equal(r.body.type, 'https://fleetplane.io/problems/unauthorized');
      assert.match(r.body.detail, /expired at /);
      assert.equal((await h.req('GET', '/v1/tokens')).body.items.find((x: { id: string }) => x.id === t.token.id).expiresAt, t.token.expiresAt);
    });

    test('the last admin token that works cannot be revoked (409, nothing written); an expired one does not count', async () => {
      const admins = async () => ((await h.req('GET', '/v1/tokens')).body.items as Array<{ id: string; role: string }>).filter((t) => t.role === 'admin');
      const mine = await admins();
      const second = await h.req('POST', '/v1/tokens', { body: { name: 'ops-2', role: 'admin' } });
      assert.equal(second.status, 201);
      const soon = await h.req('POST', '/v1/tokens', { body: { name: 'ops-short', role: 'admin', ttlSeconds: 60 } });
      assert.equal(soon.status, 201);
      // Two others work: revoking the second is fine.
      assert.equal((await h.req('DELETE', `/v1/tokens/${second.body.token.id}`)).status, 204);
      await clock.advance(61_000); // ops-short has expired: only the harness's own admin tokens work now
      assert.equal(mine.length, 1, 'the harness runs with one admin token');
      const refused = await h.req('DELETE', `/v1/tokens/${mine[0]!.id}`);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.detail, /last admin token that works/);
      assert.equal(refused.body.errors?.[0]?.field, 'id');
      assert.equal((await h.req('GET', '/v1/tenants/alpha')).status, 200, 'the admin token still works: nothing was revoked');
      assert.equal((await admins()).length, mine.length + 1, 'only the second token is gone (the expired one is still listed)');
      assert.equal((await h.req('DELETE', `/v1/tokens/${soon.body.token.id}`)).status, 204, 'an expired admin token may go');
    });

    test('without ttlSeconds and without a maximum a token never expires', async () => {
      const t = await create(h, {});
      assert.equal(t.token.expiresAt, null);
      await clock.advance(365 * 24 * 3600 * 1000);
      assert.equal((await whoami(h, t.secret)).status, 200);
    });

    test('FLEETPLANE_TOKEN_MAX_TTL: the default lifetime, and a longer ttlSeconds is a 400 naming the field, writing nothing', async () => {
      const t = await create(capped, {});
      assert.equal(t.token.expiresAt, new Date(clock.monotonic() + MAX_TTL * 1000).toISOString());
      const before = (await capped.req('GET', '/v1/tokens')).body.items.length;
      const r = await capped.req('POST', '/v1/tokens', { body: { name: 'long', role: 'tenant-admin', tenant: 'alpha', ttlSeconds: MAX_TTL + 1 } });
      assert.equal(r.status, 400);
      assert.ok(JSON.stringify(r.body).includes('/ttlSeconds'), JSON.stringify(r.body));
      assert.equal((await capped.req('GET', '/v1/tokens')).body.items.length, before);
      assert.equal((await create(capped, { ttlSeconds: 60 })).token.expiresAt, new Date(clock.monotonic() + 60_000).toISOString());
    });

    test('rotation: same token, new secret; the old secret works through the grace period, then 401', async () => {
      const t = await create(h, {});
      const r = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: { graceSeconds: 300 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.body.token.id, t.token.id);
      assert.equal(r.body.token.role, 'tenant-admin');
      assert.equal(r.body.token.tenant, 'alpha');
      assert.equal(r.body.token.rotatedAt, now().toISOString());
      assert.notEqual(r.body.secret, t.secret);
      assert.match(r.body.secret, /^fp_[A-Za-z0-9_-]{43}$/);
      assert.equal((await whoami(h, r.body.secret)).status, 200);
      assert.equal((await whoami(h, t.secret)).status, 200, 'old secret inside the grace period');
      await clock.advance(300_000);
      const old = await whoami(h, t.secret);
      assert.equal(old.status, 401);
      assert.match(old.body.detail, /expired/);
      assert.equal((await whoami(h, r.body.secret)).status, 200);
      const audit = await h.req('GET', '/v1/audit?tenant=alpha');
      assert.ok(audit.body.items.some((e: { action: string; target: string }) => e.action === 'token.rotate' && e.target === `token/${t.token.id}`));
    });

    test('rotation without a grace period stops the old secret at once; ttlSeconds sets the new expiry', async () => {
      const t = await create(h, {});
      const r = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: { ttlSeconds: 120 } });
      assert.equal(r.status, 200);
      assert.equal(r.body.token.expiresAt, new Date(clock.monotonic() + 120_000).toISOString());
      assert.equal((await whoami(h, t.secret)).status, 401);
      await clock.advance(120_000);
      assert.equal((await whoami(h, r.body.secret)).status, 401);
    });

    test('the grace period never outlives the old expiry', async () => {
      const t = await create(h, { ttlSeconds: 60 });
      const r = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: { graceSeconds: 3600 } });
      assert.equal(r.status, 200);
      await clock.advance(60_000);
      assert.equal((await whoami(h, t.secret)).status, 401);
      assert.equal((await whoami(h, r.body.secret)).status, 200);
    });

    test('an Idempotency-Key replays the rotation (same secret), and a revoked token cannot be replayed or rotated', async () => {
      const t = await create(h, {});
      const key = { 'idempotency-key': `rot-${backend}` };
      const a = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: {}, headers: key });
      const b = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: {}, headers: key });
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(b.body.secret, a.body.secret);
      assert.equal(b.headers['idempotent-replayed'], 'true');
      assert.equal((await whoami(h, a.body.secret)).status, 200, 'the replay did not rotate again');
      const other = await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: { graceSeconds: 5 }, headers: key });
      assert.equal(other.status, 422, 'same key, different body');
      assert.equal((await h.req('DELETE', `/v1/tokens/${t.token.id}`)).status, 204);
      assert.equal((await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: {}, headers: key })).status, 409);
      assert.equal((await h.req('POST', `/v1/tokens/${t.token.id}:rotate`, { body: {} })).status, 404);
      assert.equal((await whoami(h, a.body.secret)).status, 401);
    });

    test('a tenant-admin rotates its own tenant\'s tokens only; a viewer cannot; bad bodies are 400', async () => {
      const own = await create(h, {});
      const admin = await h.req('POST', '/v1/tokens', { body: { name: 'beta-admin', role: 'tenant-admin', tenant: 'beta' } });
      const viewer = await create(h, { role: 'tenant-viewer' });
      const mine = await h.req('POST', `/v1/tokens/${own.token.id}:rotate`, { token: own.secret, body: {} });
      assert.equal(mine.status, 200, 'rotating itself');
      const foreign = await h.req('POST', `/v1/tokens/${admin.body.token.id}:rotate`, { token: mine.body.secret, body: {} });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.detail, `token "${admin.body.token.id}" not found`);
      assert.equal((await h.req('POST', '/v1/tokens/tok_0000000000000000:rotate', { token: mine.body.secret, body: {} })).body.detail, 'token "tok_0000000000000000" not found');
      const adminId = (await h.req('GET', '/v1/tokens')).body.items.find((x: { tenant: string | null }) => x.tenant === null).id;
      assert.equal((await h.req('POST', `/v1/tokens/${adminId}:rotate`, { token: mine.body.secret, body: {} })).status, 404, 'an admin token is not the tenant\'s');
      assert.equal((await h.req('POST', `/v1/tokens/${own.token.id}:rotate`, { token: viewer.secret, body: {} })).status, 403);
      assert.equal((await whoami(h, admin.body.secret)).status, 404, 'beta token still works, sees no alpha');
      assert.equal((await h.req('GET', '/v1/tenants/beta', { token: admin.body.secret })).status, 200, 'the refused rotation changed nothing');
      const bad = await h.req('POST', `/v1/tokens/${own.token.id}:rotate`, { body: { graceSeconds: -1 } });
      assert.equal(bad.status, 400);
      assert.ok(JSON.stringify(bad.body).includes('graceSeconds'));
      assert.equal((await h.req('POST', `/v1/tokens/${own.token.id}:rotate`, { body: { nope: 1 } })).status, 400);
    });

    test('a rotated-away secret never comes back as FLEETPLANE_ADMIN_TOKEN, even after a second rotation', async () => {
      const t = await h.req('POST', '/v1/tokens', { body: { name: 'preset-admin', role: 'admin' } });
      for (let i = 0; i < 2; i++) assert.equal((await h.req('POST', `/v1/tokens/${t.body.token.id}:rotate`, { body: {} })).status, 200);
      const printed: string[] = [];
      assert.equal(await bootstrapAdminToken(h.store, { preset: t.body.secret, print: (l) => printed.push(l) }), 'revoked');
      assert.match(printed.join('\n'), /rotated-away/);
      assert.equal((await h.req('GET', '/v1/tokens', { token: t.body.secret })).status, 401);
    });
  });
}
