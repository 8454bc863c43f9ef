// Hostile input found in issue #14, each once a 500 or a stall: NUL characters, deep nesting,
// duplicate keys, forged cursors, bad labels, text/plain bodies, a viewer's body parsed before its
// role was checked. Each is now a 4xx problem+json naming the field, and nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, counts, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const P = 'https://fleetplane.io/problems/';
const deep = (n: number): string => `${'['.repeat(n)}1${']'.repeat(n)}`;

for (const backend of BACKENDS) {
  describe(`hostile input (${backend})`, () => {
    let h: Harness;
    let tenantAdmin: string;
    let viewer: string;
    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('acme', ['prod']) })).status, 202);
      tenantAdmin = (await h.req('POST', '/v1/tokens', { body: { name: 'ta', role: 'tenant-admin', tenant: 'acme' } })).body.secret;
      viewer = (await h.req('POST', '/v1/tokens', { body: { name: 'tv', role: 'tenant-viewer', tenant: 'acme' } })).body.secret;
    });
    after(async () => h?.close());

    const refused = async (r: Awaited<ReturnType<Harness['req']>>, status: number, field: string | null, type = 'invalid-input') => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(String(r.headers['content-type']), /application\/problem\+json/);
      assert.equal(r.body.type, P + type);
      if (field !== null) assert.ok(r.body.errors?.some((e: { field: string }) => e.field === field), `expected ${field} in ${JSON.stringify(r.body)}`);
    };

    test('a NUL character anywhere in a body is a 400 naming the field, from a tenant-admin token too', async () => {
      const before = await counts(h.store);
      const tenantBefore = (await h.req('GET', '/v1/tenants/acme')).body;
      await refused(await h.req('PATCH', '/v1/tenants/acme', { body: { name: 'Acme\u0000Inc' }, token: tenantAdmin }), 400, '/name');
      await refused(await h.req('PATCH', '/v1/tenants/acme', { raw: '{"labels":{"plan":"a\\u0000b"}}', token: tenantAdmin }), 400, '/labels/plan');
      await refused(await h.req('POST', '/v1/tenants', { body: { ...tenantBody('nul'), name: 'x\u0000' } }), 400, '/name');
      await refused(await h.req('PATCH', '/v1/tenants/acme', { raw: 'name: "a\\0b"\n', contentType: 'application/yaml', token: tenantAdmin }), 400, '/name');
      await refused(await h.req('GET', '/v1/tenants?cursor=%00'), 400, 'query:/cursor');
      assert.deepEqual(await counts(h.store), before);
      assert.deepEqual((await h.req('GET', '/v1/tenants/acme')).body, tenantBefore);
    });

    test('JSON or YAML nested deeper than 64 levels is a 400 before it is parsed, through :patch too', async () => {
      const before = await counts(h.store);
      for (const n of [65, 10_000, 100_000]) {
        await refused(await h.req('POST', '/v1/tenants/acme/environments/prod:patch', { raw: `{"values":{"x":${deep(n)}}}`, token: tenantAdmin }), 400, '/values/x/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0');
        await refused(await h.req('POST', '/v1/tenants', { raw: `slug: x\nname: ${deep(n)}\n`, contentType: 'application/yaml' }), 400, '/');
      }
      assert.deepEqual(await counts(h.store), before);
    });

    test('a key given twice is a 400 naming it', async () => {
      await refused(await h.req('PATCH', '/v1/tenants/acme', { raw: '{"name":"A","name":"B"}', token: tenantAdmin }), 400, '/name');
      await refused(await h.req('PATCH', '/v1/tenants/acme', { raw: '{"labels":{"a":"1","a":"2"}}', token: tenantAdmin }), 400, '/labels/a');
    });

    test('a forged cursor is a 400 naming the cursor on every list route', async () => {
      for (const url of ['/v1/tenants', '/v1/tenants/acme/environments', '/v1/operations', '/v1/blueprints', '/v1/clusters']) {
        for (const forged of ['42', 'not-a-cursor', 'x'.repeat(5000), Buffer.from('{"a":1}').toString('base64url')]) {
          const r = await h.req('GET', `${url}?cursor=${forged}`);
          assert.equal(r.status, 400, `${url} ${forged.slice(0, 20)}: ${JSON.stringify(r.body).slice(0, 300)}`);
          assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        }
        // A well-formed position the API did not hand out is just a position: never a 5xx.
        const r = await h.req('GET', `${url}?cursor=${Buffer.from('["1","2"]').toString('base64url')}`);
        assert.ok(r.status < 500, `${url}: ${r.status}`);
      }
    });

    test('labels must be Kubernetes labels: bad keys, newlines, reserved prefixes and too many are 400s', async () => {
      const before = await counts(h.store);
      const bad: Array<[Record<string, string>, string]> = [
        [{ 'bad key': 'x' }, '/labels'], [{ plan: 'a\nb' }, '/labels/plan'], [{ 'fleetplane.io/tenant': 'other' }, '/labels'], [{ 'x.fleetplane.io/pin': 'other' }, '/labels'],
        [{ 'kubernetes.io/metadata.name': 'kube-system' }, '/labels'], [{ plan: 'x'.repeat(64) }, '/labels/plan'],
        [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])), '/labels'],
      ];
      for (const [labels, field] of bad) {
        const r = await h.req('PATCH', '/v1/tenants/acme', { body: { labels }, token: tenantAdmin });
        await refused(r, 400, null);
        assert.ok(r.body.errors?.some((e: { field: string }) => e.field.startsWith(field)), `${JSON.stringify(labels).slice(0, 60)}: ${JSON.stringify(r.body)}`);
      }
      assert.deepEqual(await counts(h.store), before);
      // The two Fleetplane labels a tenant carries on purpose: residency (placement) and release pins.
      const ok = await h.req('PATCH', '/v1/tenants/acme', { body: { labels: { plan: 'gold', 'example.com/team': 'payments_1', 'fleetplane.io/residency': 'eu', 'pin.fleetplane.io/prod': '1.0.0' } } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    test('text/plain is 415, not 400', async () => {
      await refused(await h.req('POST', '/v1/tenants', { raw: 'hello', contentType: 'text/plain' }), 415, null, 'unsupported-media-type');
    });

    test('a tenant-viewer\'s write is a 403 before its body is parsed (a deep or malformed body does not matter)', async () => {
      for (const raw of [`{"name":${deep(50_000)}}`, '{not json', 'name: [unclosed']) {
        const r = await h.req('PATCH', '/v1/tenants/acme', { raw, token: viewer, contentType: raw.startsWith('name') ? 'application/yaml' : 'application/json' });
        await refused(r, 403, null, 'forbidden');
      }
      const read = await h.req('GET', '/v1/tenants/acme', { token: viewer });
      assert.equal(read.status, 200);
    });

    test('the OpenAPI document declares a problem+json 4XX and 5XX answer on every operation', async () => {
      const doc = (await h.req('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };
      let n = 0;
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          n++;
          for (const code of ['4XX', '5XX']) assert.ok(op.responses[code]?.content?.['application/problem+json'], `${method} ${path} ${code}`);
          assert.ok(Object.keys(op.responses).some((c) => c.startsWith('2')), `${method} ${path} has a success answer`);
        }
      }
      assert.ok(n > 40, `${n} operations`);
    });
  });
}
