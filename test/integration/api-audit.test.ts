// The audit log (every mutating call: who, tenant, what, result; GET /v1/audit) and the bootstrap
// admin token that stays revoked across a restart with FLEETPLANE_ADMIN_TOKEN still set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapAdminToken } from '../../src/api/auth.ts';
import { BACKENDS, harness, publishSample, storeHandle, tenantBody, type Harness } from '../helpers/api-harness.ts';

interface Entry { actor: string; action: string; tenant: string | null; target: string; detail: { status: number; result: string } }

for (const backend of BACKENDS) {
  describe(`audit log (${backend})`, () => {
    let h: Harness;
    let acmeAdmin: string;
    let acmeViewer: string;
    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      for (const t of ['acme', 'other']) assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody(t, ['prod']) })).status, 202);
      acmeAdmin = (await h.req('POST', '/v1/tokens', { body: { name: 'acme-admin', role: 'tenant-admin', tenant: 'acme' } })).body.secret;
      acmeViewer = (await h.req('POST', '/v1/tokens', { body: { name: 'acme-viewer', role: 'tenant-viewer', tenant: 'acme' } })).body.secret;
    });
    after(async () => h?.close());

    test('every mutating call is recorded with who, tenant, what and the result, refused ones too', async () => {
      assert.equal((await h.req('PATCH', '/v1/tenants/acme', { body: { name: 'Acme Two' }, token: acmeAdmin })).status, 200);
      assert.equal((await h.req('PATCH', '/v1/tenants/acme', { body: { name: 'x' }, token: acmeViewer })).status, 403);
      assert.equal((await h.req('PATCH', '/v1/tenants/other', { body: { name: 'mine now' }, token: acmeAdmin })).status, 404);
      const verb = await h.req('POST', '/v1/tenants/acme/environments/nowhere:restart', { body: {}, token: acmeAdmin });
      assert.ok(verb.status >= 400 && verb.status < 500, JSON.stringify(verb.body));
      const r = await h.req('GET', '/v1/audit?limit=500');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const api = (r.body.items as Entry[]).filter((e) => e.action.startsWith('api '));
      // Custom-method routes read as written, not as the router's regex form (`:env(^…)::restart`).
      assert.ok(api.some((e) => e.action === 'api POST /v1/tenants/:tenant/environments/:env:restart' && e.detail.status === verb.status), JSON.stringify(api.map((e) => e.action)));
      assert.ok(api.every((e) => !e.action.includes('(') && !e.action.includes('::')), 'no regex in any action');
      const find = (actor: string, status: number) => api.find((e) => e.actor === actor && e.detail.status === status && e.action === 'api PATCH /v1/tenants/:tenant');
      assert.deepEqual(find('acme-admin', 200) && { tenant: find('acme-admin', 200)!.tenant, result: find('acme-admin', 200)!.detail.result }, { tenant: 'acme', result: 'ok' });
      assert.equal(find('acme-viewer', 403)?.detail.result, 'refused');
      assert.equal(find('acme-admin', 404)?.tenant, 'acme', 'a probe of another tenant is logged under the caller\'s tenant');
      assert.ok(api.some((e) => e.action === 'api POST /v1/tokens' && e.actor === 'test-admin'), 'the admin\'s token creation');
      assert.doesNotMatch(JSON.stringify(r.body), /fp_[A-Za-z0-9_-]{20,}/, 'no secret in the log');
    });

    test('cross-tenant: a tenant-admin reads only its tenant\'s entries; a viewer gets 403', async () => {
      const mine = await h.req('GET', '/v1/audit?limit=500', { token: acmeAdmin });
      assert.equal(mine.status, 200);
      assert.ok(mine.body.items.length > 0);
      assert.ok((mine.body.items as Entry[]).every((e) => e.tenant === 'acme'), JSON.stringify(mine.body.items.map((e: Entry) => e.tenant)));
      const asked = await h.req('GET', '/v1/audit?tenant=other&limit=500', { token: acmeAdmin });
      assert.ok((asked.body.items as Entry[]).every((e) => e.tenant === 'acme'), 'the tenant filter cannot widen a tenant token');
      assert.equal((await h.req('GET', '/v1/audit', { token: acmeViewer })).status, 403);
      const admin = await h.req('GET', '/v1/audit?tenant=other&limit=500');
      assert.ok(admin.body.items.length > 0 && (admin.body.items as Entry[]).every((e) => e.tenant === 'other'));
    });
  });
}

describe('bootstrap admin token', () => {
  test('revoked through the API, it stays revoked across a restart with FLEETPLANE_ADMIN_TOKEN still set', async () => {
    const handle = await storeHandle('embedded');
    const preset = `fpt_boot_${'b'.repeat(24)}`;
    const lines: string[] = [];
    try {
      let store = await handle.open();
      assert.equal(await bootstrapAdminToken(store, { preset, print: (l) => lines.push(l) }), 'created');
      await store.close();
      const h = await harness('embedded', handle);
      const id = (await h.store.tokens.verify(preset))!.id;
      assert.equal((await h.req('DELETE', `/v1/tokens/${id}`)).status, 204);
      await h.close();
      store = await handle.open();
      assert.equal(await bootstrapAdminToken(store, { preset, print: (l) => lines.push(l) }), 'revoked');
      assert.equal(await store.tokens.verify(preset), null, 'still revoked');
      assert.match(lines.join('\n'), /revoked/);
      await store.close();
    } finally {
      await handle.destroy();
    }
  });
});
