// HTTP API against the real store, on the embedded engine and on PostgreSQL: every route's happy
// path, idempotency (also concurrent retries), ETag/If-Match, problem+json for every error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, counts, harness, publishSample, tenantBody, blueprintVersion, type Harness } from '../helpers/api-harness.ts';

for (const backend of BACKENDS) {
  describe(`API (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend);
      await publishSample(h);
    });
    after(async () => h?.close());

    test('health, readiness and the OpenAPI document are public', async () => {
      assert.equal((await h.req('GET', '/healthz', { token: null })).status, 200);
      const ready = await h.req('GET', '/readyz', { token: null });
      assert.equal(ready.status, 200);
      assert.equal(ready.body.store, h.store.kind);
      const doc = await h.req('GET', '/openapi.json', { token: null });
      assert.equal(doc.body.openapi, '3.1.0');
    });

    test('one-call onboarding: tenant, environments and one onboard operation each, in one answer', async () => {
      const r = await h.req('POST', '/v1/tenants', { body: tenantBody('acme') });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.headers.location, '/v1/tenants/acme');
      assert.equal(r.body.tenant.slug, 'acme');
      assert.equal(r.body.tenant.channel, 'saas');
      assert.deepEqual(r.body.environments.map((e: { name: string }) => e.name).sort(), ['prod', 'staging']);
      assert.equal(r.body.operations.length, 2);
      for (const op of r.body.operations) {
        assert.equal(op.kind, 'onboard');
        assert.equal(op.state, 'pending');
        assert.ok(op.steps.length > 0);
      }
      const env = await h.req('GET', '/v1/environments/acme/prod');
      assert.equal(env.status, 200);
      assert.equal(env.body.health, 'Progressing');
      assert.equal(env.body.placement.namespace, 'acme-prod');
      assert.equal(env.headers.etag, `"${env.body.resourceVersion}"`);
      const op = await h.req('GET', `/v1/operations/${r.body.operations[0].id}`);
      assert.equal(op.status, 200);
      assert.equal(op.body.tenant, 'acme');
    });

    test('lists paginate with a cursor and a Link header', async () => {
      for (const s of ['page-a', 'page-b', 'page-c']) assert.equal((await h.req('POST', '/v1/tenants', { body: { slug: s, name: s, tier: 'shared' } })).status, 201);
      const seen: string[] = [];
      let url: string | undefined = '/v1/tenants?limit=2';
      let pages = 0;
      while (url) {
        const r = await h.req('GET', url);
        assert.equal(r.status, 200);
        assert.ok(r.body.items.length <= 2);
        seen.push(...r.body.items.map((t: { slug: string }) => t.slug));
        if (r.body.next) assert.match(String(r.headers.link), /rel="next"/);
        url = r.body.next ? /<([^>]+)>/.exec(String(r.headers.link))![1] : undefined;
        pages++;
      }
      assert.ok(pages >= 2);
      assert.equal(new Set(seen).size, seen.length, 'no tenant twice');
      for (const s of ['acme', 'page-a', 'page-b', 'page-c']) assert.ok(seen.includes(s), s);
      const envs = await h.req('GET', '/v1/tenants/acme/environments');
      assert.equal(envs.body.items.length, 2);
      const ops = await h.req('GET', '/v1/operations?tenant=acme&state=pending');
      assert.equal(ops.status, 200);
      assert.ok(ops.body.items.every((o: { tenant: string; state: string }) => o.tenant === 'acme' && o.state === 'pending'));
    });

    test("a tenant's environment list: pages in name order, empty for a tenant without any, 404 for an unknown or offboarded tenant (before a bad cursor's 400)", async () => {
      const first = await h.req('GET', '/v1/tenants/acme/environments?limit=1');
      assert.equal(first.status, 200);
      assert.deepEqual(first.body.items.map((e: { name: string }) => e.name), ['prod']);
      assert.ok(first.body.next);
      const second = await h.req('GET', `/v1/tenants/acme/environments?limit=1&cursor=${encodeURIComponent(first.body.next)}`);
      assert.deepEqual(second.body.items.map((e: { name: string }) => e.name), ['staging']);
      assert.equal(second.body.next, undefined);
      assert.equal(second.body.items[0].tenant, 'acme');
      const empty = await h.req('GET', '/v1/tenants/page-a/environments');
      assert.equal(empty.status, 200);
      assert.deepEqual(empty.body, { items: [] });
      assert.equal((await h.req('GET', '/v1/tenants/no-such-co/environments')).status, 404);
      assert.equal((await h.req('GET', '/v1/tenants/no-such-co/environments?cursor=bogus')).status, 404);
      const bad = await h.req('GET', '/v1/tenants/acme/environments?cursor=bogus');
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /cursor/);
      await h.store.tenants.markDeleted('page-b');
      assert.equal((await h.req('GET', '/v1/tenants/page-b/environments')).status, 404);
    });

    test('Idempotency-Key: a retry returns the same operations and creates nothing', async () => {
      const body = tenantBody('idem');
      const headers = { 'idempotency-key': 'k-idem-1' };
      const a = await h.req('POST', '/v1/tenants', { body, headers });
      assert.equal(a.status, 202);
      const before = await counts(h.store);
      const b = await h.req('POST', '/v1/tenants', { body, headers });
      assert.equal(b.status, 202);
      assert.deepEqual(b.body.operations.map((o: { id: string }) => o.id), a.body.operations.map((o: { id: string }) => o.id));
      assert.deepEqual(await counts(h.store), before);
      const other = await h.req('POST', '/v1/tenants', { body: { ...body, name: 'changed' }, headers });
      assert.equal(other.status, 422);
      assert.equal(other.body.type, 'https://fleetplane.io/problems/idempotency-key-reused');
      assert.deepEqual(await counts(h.store), before);
    });

    test('two concurrent retries with one key: one tenant, the same operations', async () => {
      const body = tenantBody('race');
      const headers = { 'idempotency-key': 'k-race' };
      const [a, b] = await Promise.all([h.req('POST', '/v1/tenants', { body, headers }), h.req('POST', '/v1/tenants', { body, headers })]);
      assert.equal(a.status, 202, JSON.stringify(a.body));
      assert.equal(b.status, 202, JSON.stringify(b.body));
      assert.deepEqual(a.body.operations.map((o: { id: string }) => o.id), b.body.operations.map((o: { id: string }) => o.id));
      const ops = await h.req('GET', '/v1/operations?tenant=race');
      assert.equal(ops.body.items.length, 2);
    });

    test('concurrent actions with one key: one operation', async () => {
      const headers = { 'idempotency-key': 'k-scale' };
      const body = { component: 'web', replicas: 3 };
      const rs = await Promise.all([1, 2, 3].map(() => h.req('POST', '/v1/tenants/acme/environments/prod:scale', { body, headers })));
      for (const r of rs) assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(new Set(rs.map((r) => r.body.id)).size, 1);
    });

    test('PATCH with If-Match: current → 200 and a new ETag; stale → 412; concurrent → one wins', async () => {
      const g = await h.req('GET', '/v1/tenants/acme');
      const etag = String(g.headers.etag);
      const ok = await h.req('PATCH', '/v1/tenants/acme', { body: { name: 'Acme Corporation' }, headers: { 'if-match': etag } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.notEqual(ok.headers.etag, etag);
      const stale = await h.req('PATCH', '/v1/tenants/acme', { body: { name: 'Stale' }, headers: { 'if-match': etag } });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.type, 'https://fleetplane.io/problems/precondition-failed');
      assert.equal((await h.req('GET', '/v1/tenants/acme')).body.name, 'Acme Corporation');
      const cur = String(ok.headers.etag);
      const both = await Promise.all(['One', 'Two'].map((name) => h.req('PATCH', '/v1/tenants/acme', { body: { name }, headers: { 'if-match': cur } })));
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 412]);
      const noHeader = await h.req('PATCH', '/v1/tenants/acme', { body: { labels: { plan: 'platinum' } } });
      assert.equal(noHeader.status, 200, 'If-Match is optional: last write wins');
      const notModified = await h.req('GET', '/v1/tenants/acme', { headers: { 'if-none-match': String(noHeader.headers.etag) } });
      assert.equal(notModified.status, 304);
    });

    test('environment actions answer 202 with an operation; bad ones name the field', async () => {
      await publishSample(h, '1.1.0');
      const up = await h.req('POST', '/v1/tenants/acme/environments/staging:upgrade', { body: { version: '1.1.0' } });
      assert.equal(up.status, 202, JSON.stringify(up.body));
      assert.equal(up.body.kind, 'upgrade');
      assert.equal(up.body.params.version, '1.1.0');
      assert.match(String(up.headers.location), /^\/v1\/operations\//);
      const patch = await h.req('POST', '/v1/tenants/acme/environments/staging:patch', { body: { values: { logLevel: 'debug' }, image: { tag: '1.0.1' } } });
      assert.equal(patch.status, 202, JSON.stringify(patch.body));
      assert.equal(patch.body.params.values.components.web.imageTag, '1.0.1');
      const restart = await h.req('POST', '/v1/tenants/acme/environments/staging:restart', { body: {} });
      assert.equal(restart.status, 202);
      assert.equal(restart.body.params.action, 'restart');
      const cases: Array<[string, unknown, string]> = [
        ['upgrade', { version: '9.9.9' }, '/version'],
        ['patch', { values: { logLevel: 'loud' } }, '/values/logLevel'],
        ['scale', { component: 'nope', replicas: 2 }, '/component'],
        ['scale', { component: 'web', replicas: -1 }, '/replicas'],
        ['rollback', {}, '/revision'],
      ];
      for (const [verb, body, field] of cases) {
        const before = await counts(h.store);
        const r = await h.req('POST', `/v1/tenants/acme/environments/staging:${verb}`, { body });
        assert.equal(r.status, 400, `${verb} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.ok(r.body.errors.some((e: { field: string }) => e.field === field), `${verb}: ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(await counts(h.store), before);
      }
      assert.equal((await h.req('POST', '/v1/tenants/acme/environments/nope:restart', { body: {} })).status, 404);
    });

    test('adding an environment starts its onboarding', async () => {
      const r = await h.req('POST', '/v1/tenants/acme/environments', { body: { name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'onboard');
      assert.equal(r.body.environment, 'dev');
      const dup = await h.req('POST', '/v1/tenants/acme/environments', { body: { name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' } });
      assert.equal(dup.status, 409);
    });

    test('clusters: register, get, list, delete', async () => {
      const body = { name: 'c-east', provider: 'local', region: 'us-east', apiServer: 'https://127.0.0.1:6443', credentials: 'apiVersion: v1\nkind: Config\n' };
      const r = await h.req('POST', '/v1/clusters', { body });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.credentials, undefined, 'credentials are never returned');
      assert.equal((await h.req('POST', '/v1/clusters', { body })).status, 200);
      assert.equal((await h.req('GET', '/v1/clusters/c-east')).body.region, 'us-east');
      assert.ok((await h.req('GET', '/v1/clusters')).body.items.some((c: { name: string }) => c.name === 'c-east'));
      assert.equal((await h.req('DELETE', '/v1/clusters/c-east')).status, 204);
      assert.equal((await h.req('GET', '/v1/clusters/c-east')).status, 404);
    });

    test('blueprints: publish (JSON and YAML), immutable, list, get', async () => {
      const list = await h.req('GET', '/v1/blueprints?name=demo-app');
      assert.ok(list.body.items.length >= 1);
      assert.equal(list.body.items[0].spec, undefined, 'list leaves documents out');
      const one = await h.req('GET', '/v1/blueprints/demo-app/1.0.0');
      assert.equal(one.status, 200);
      assert.ok(Array.isArray(one.body.spec.components), 'the stored spec is the blueprint\'s spec section');
      const changed = blueprintVersion('1.0.0') as { spec: Record<string, unknown> };
      const conflict = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '1.0.0', spec: { ...changed, spec: { ...changed.spec, product: { registry: 'r.example.com/x', tag: '9' } } } } });
      assert.equal(conflict.status, 409);
      const sameAsSection = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '1.0.0', spec: changed.spec } });
      assert.equal(sameAsSection.status, 200, 'the spec section alone is the same release');
      const { stringify } = await import('yaml');
      const yaml = stringify({ name: 'demo-app', version: '2.0.0', spec: blueprintVersion('2.0.0') });
      const y = await h.req('POST', '/v1/blueprints', { raw: yaml, contentType: 'application/yaml' });
      assert.equal(y.status, 201, JSON.stringify(y.body));
      const mismatch = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '3.0.0', spec: blueprintVersion('2.0.0') } });
      assert.equal(mismatch.status, 400);
      assert.ok(mismatch.body.errors.some((e: { field: string }) => e.field === '/spec/metadata/version'));
    });

    test('tokens: create returns the secret once, the token works, revoke ends it', async () => {
      const c = await h.req('POST', '/v1/tokens', { body: { name: 'acme-ci', role: 'tenant-admin', tenant: 'acme' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.match(c.body.secret, /^fp_/);
      const list = await h.req('GET', '/v1/tokens');
      assert.ok(list.body.items.some((t: { id: string }) => t.id === c.body.token.id));
      assert.ok(!JSON.stringify(list.body).includes(c.body.secret), 'the list never carries secrets');
      assert.equal((await h.req('GET', '/v1/tenants/acme', { token: c.body.secret })).status, 200);
      assert.equal((await h.req('DELETE', `/v1/tokens/${c.body.token.id}`)).status, 204);
      assert.equal((await h.req('GET', '/v1/tenants/acme', { token: c.body.secret })).status, 401);
      const bad = await h.req('POST', '/v1/tokens', { body: { name: 'x', role: 'tenant-viewer' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors[0].field, '/tenant');
    });

    test('CloudEvents: each type handled; a repeat returns the original outcome and writes nothing', async () => {
      const ev = (id: string, type: string, data: unknown) => ({ specversion: '1.0', id, source: '/crm', type, data });
      const onboard = ev('e-1', 'io.fleetplane.customer.onboarded', tenantBody('evco', ['prod']));
      const first = await h.req('POST', '/v1/events', { body: onboard, contentType: 'application/cloudevents+json' });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      assert.equal(first.body.outcome.operations.length, 1);
      const before = await counts(h.store);
      const again = await h.req('POST', '/v1/events', { body: onboard });
      assert.equal(again.status, 200);
      assert.equal(again.body.duplicate, true);
      assert.equal(again.body.outcome.operations[0].id, first.body.outcome.operations[0].id);
      assert.deepEqual(await counts(h.store), before);
      const rel = await h.req('POST', '/v1/events', { body: ev('e-2', 'io.fleetplane.release.published', { blueprint: 'demo-app', version: '1.2.0', spec: blueprintVersion('1.2.0') }) });
      assert.equal(rel.status, 202, JSON.stringify(rel.body));
      assert.equal((await h.req('GET', '/v1/blueprints/demo-app/1.2.0')).status, 200);
      const p = await h.req('POST', '/v1/events', { body: ev('e-3', 'io.fleetplane.patch.requested', { tenant: 'evco', environment: 'prod', image: { component: 'web', tag: '1.2.1' } }) });
      assert.equal(p.status, 202, JSON.stringify(p.body));
      assert.equal(p.body.outcome.operation.kind, 'patch');
      const off = await h.req('POST', '/v1/events', { body: ev('e-4', 'io.fleetplane.customer.offboarded', { tenant: 'evco' }) });
      assert.equal(off.status, 202, JSON.stringify(off.body));
      assert.equal(off.body.outcome.operation.kind, 'offboard');
      const bad = await h.req('POST', '/v1/events', { body: { ...ev('e-5', 'io.fleetplane.customer.onboarded', { slug: 'x' }), specversion: '0.3' } });
      assert.equal(bad.status, 400);
      assert.ok(bad.body.errors.some((e: { field: string }) => e.field === '/specversion'));
      const badData = await h.req('POST', '/v1/events', { body: ev('e-6', 'io.fleetplane.customer.onboarded', { slug: 'Bad Slug', name: 'x', tier: 'shared' }) });
      assert.equal(badData.status, 400);
      assert.ok(badData.body.errors.some((e: { field: string }) => e.field === '/data/slug'), JSON.stringify(badData.body));
    });

    test('DELETE a tenant starts one offboard operation; repeating returns it', async () => {
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('byeco', ['prod']) })).status, 202);
      const a = await h.req('DELETE', '/v1/tenants/byeco');
      assert.equal(a.status, 202, JSON.stringify(a.body));
      assert.equal(a.body.kind, 'offboard');
      const b = await h.req('DELETE', '/v1/tenants/byeco');
      assert.equal(b.body.id, a.body.id);
      assert.equal((await h.req('GET', '/v1/environments/byeco/prod')).body.health, 'Deleting');
      const act = await h.req('POST', '/v1/tenants/byeco/environments/prod:restart', { body: {} });
      assert.equal(act.status, 409);
    });
  });
}
