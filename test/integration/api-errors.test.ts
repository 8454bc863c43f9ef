// Bad input never crashes anything and never writes: every refusal is RFC 9457 problem+json with a
// stable type and the offending field, and the store's row counts stay the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, blueprintVersion, counts, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const P = 'https://fleetplane.io/problems/';

interface Case {
  name: string;
  method: string;
  url: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  token?: null | string;
  status: number;
  type: string;
  /** A field pointer that must be among errors[].field. */
  field?: string;
}

const env0 = (over: Record<string, unknown>) => ({ ...tenantBody('bad'), environments: [{ ...(tenantBody('bad').environments as object[])[0], ...over }] });

const CASES: Case[] = [
  { name: 'malformed JSON', method: 'POST', url: '/v1/tenants', raw: '{"slug": "x",', status: 400, type: 'malformed-body' },
  { name: 'malformed YAML', method: 'POST', url: '/v1/blueprints', raw: 'name: [unclosed', contentType: 'application/yaml', status: 400, type: 'malformed-body' },
  { name: 'empty JSON body', method: 'POST', url: '/v1/tenants', raw: '', status: 400, type: 'malformed-body' },
  { name: 'unknown field', method: 'POST', url: '/v1/tenants', body: { ...tenantBody('bad'), colour: 'red' }, status: 400, type: 'invalid-input', field: '/colour' },
  { name: 'unknown nested field', method: 'POST', url: '/v1/tenants', body: env0({ replicas: 3 }), status: 400, type: 'invalid-input', field: '/environments/0/replicas' },
  { name: 'wrong type', method: 'POST', url: '/v1/tenants', body: { ...tenantBody('bad'), name: 42 }, status: 400, type: 'invalid-input', field: '/name' },
  { name: 'no coercion of numbers in bodies', method: 'POST', url: '/v1/tenants/acme/environments/prod:scale', body: { component: 'web', replicas: '3' }, status: 400, type: 'invalid-input', field: '/replicas' },
  { name: 'missing field', method: 'POST', url: '/v1/tenants', body: { slug: 'bad', name: 'x' }, status: 400, type: 'invalid-input', field: '/tier' },
  { name: 'bad enum', method: 'POST', url: '/v1/tenants', body: { ...tenantBody('bad'), tier: 'gold' }, status: 400, type: 'invalid-input', field: '/tier' },
  { name: 'bad slug', method: 'POST', url: '/v1/tenants', body: tenantBody('Bad_Slug'), status: 400, type: 'invalid-input', field: '/slug' },
  { name: 'slug too long', method: 'POST', url: '/v1/tenants', body: tenantBody('a'.repeat(64)), status: 400, type: 'invalid-input', field: '/slug' },
  { name: 'reserved slug', method: 'POST', url: '/v1/tenants', body: tenantBody('kube-system'), status: 400, type: 'invalid-input', field: '/slug' },
  { name: 'bad environment name', method: 'POST', url: '/v1/tenants', body: env0({ name: 'Prod!' }), status: 400, type: 'invalid-input', field: '/environments/0/name' },
  { name: 'version not semver', method: 'POST', url: '/v1/tenants', body: env0({ version: '1.0' }), status: 400, type: 'invalid-input', field: '/environments/0/version' },
  { name: 'release not published', method: 'POST', url: '/v1/tenants', body: env0({ version: '7.7.7' }), status: 400, type: 'invalid-input', field: '/environments/0/version' },
  { name: 'values against the release schema', method: 'POST', url: '/v1/tenants', body: env0({ values: { logLevel: 'loud' } }), status: 400, type: 'invalid-input', field: '/environments/0/values/logLevel' },
  { name: 'unknown values field', method: 'POST', url: '/v1/tenants', body: env0({ values: { nope: 1 } }), status: 400, type: 'invalid-input', field: '/environments/0/values/nope' },
  { name: 'unknown cluster', method: 'POST', url: '/v1/tenants', body: env0({ cluster: 'nowhere' }), status: 400, type: 'invalid-input', field: '/environments/0/cluster' },
  { name: 'cluster dedicated to another tenant', method: 'POST', url: '/v1/tenants', body: env0({ cluster: 'acme-only' }), status: 400, type: 'invalid-input', field: '/environments/0/cluster' },
  { name: 'added environment on another tenant\'s cluster', method: 'POST', url: '/v1/tenants/acme/environments', body: { name: 'eu', type: 'dev', blueprint: 'demo-app', version: '1.0.0', cluster: 'globex-only' }, status: 400, type: 'invalid-input', field: '/cluster' },
  { name: 'duplicate environment', method: 'POST', url: '/v1/tenants', body: { ...tenantBody('bad', ['prod', 'prod']) }, status: 400, type: 'invalid-input', field: '/environments/1/name' },
  { name: 'existing tenant', method: 'POST', url: '/v1/tenants', body: tenantBody('acme'), status: 409, type: 'conflict' },
  { name: 'bad slug in the path', method: 'GET', url: '/v1/tenants/NOT_A_SLUG', status: 400, type: 'invalid-input', field: 'path:/tenant' },
  { name: 'bad query parameter', method: 'GET', url: '/v1/tenants?limit=0', status: 400, type: 'invalid-input', field: 'query:/limit' },
  { name: 'unknown query parameter', method: 'GET', url: '/v1/operations?colour=red', status: 400, type: 'invalid-input', field: 'query:/colour' },
  { name: 'unsupported media type', method: 'POST', url: '/v1/tenants', raw: 'slug=x', contentType: 'application/x-www-form-urlencoded', status: 415, type: 'unsupported-media-type' },
  { name: 'unknown route', method: 'GET', url: '/v1/nothing-here', status: 404, type: 'not-found' },
  { name: 'wrong method', method: 'PUT', url: '/v1/tenants/acme', body: {}, status: 405, type: 'method-not-allowed' },
  { name: 'missing token', method: 'GET', url: '/v1/tenants', token: null, status: 401, type: 'unauthorized' },
  { name: 'unknown token', method: 'POST', url: '/v1/tenants', token: 'fpt_nope', body: tenantBody('bad'), status: 401, type: 'unauthorized' },
  { name: 'unknown tenant', method: 'GET', url: '/v1/tenants/ghost', status: 404, type: 'not-found' },
  { name: 'unknown operation', method: 'GET', url: '/v1/operations/00000000-0000-0000-0000-000000000000', status: 404, type: 'not-found' },
  { name: 'bad If-Match', method: 'PATCH', url: '/v1/tenants/acme', body: { name: 'x' }, status: 412, type: 'precondition-failed' },
  { name: 'empty patch', method: 'PATCH', url: '/v1/tenants/acme', body: {}, status: 400, type: 'invalid-input' },
  { name: 'bad cluster URL', method: 'POST', url: '/v1/clusters', body: { name: 'c1', provider: 'local', region: 'r', apiServer: 'not a url' }, status: 400, type: 'invalid-input', field: '/apiServer' },
  { name: 'invalid blueprint document', method: 'POST', url: '/v1/blueprints', body: { name: 'b', version: '1.0.0', spec: { kind: 'Blueprint' } }, status: 400, type: 'invalid-input', field: '/spec/apiVersion' },
  { name: 'blueprint parameter schema with an unknown keyword', method: 'POST', url: '/v1/blueprints', body: { name: 'demo-app', version: '9.0.0', spec: { ...blueprintVersion('9.0.0'), spec: { ...(blueprintVersion('9.0.0').spec as object), parameters: { schema: { type: 'object', properties: { a: { type: 'string', colour: 'red' } } } } } } }, status: 400, type: 'invalid-input', field: '/spec/spec/parameters/schema' },
  { name: 'CloudEvent without id', method: 'POST', url: '/v1/events', body: { specversion: '1.0', source: '/x', type: 'io.fleetplane.customer.offboarded', data: { tenant: 'acme' } }, status: 400, type: 'invalid-input', field: '/id' },
  { name: 'CloudEvent of unknown type', method: 'POST', url: '/v1/events', body: { specversion: '1.0', id: '1', source: '/x', type: 'com.example.other', data: {} }, status: 400, type: 'invalid-input', field: '/type' },
];

for (const backend of BACKENDS) {
  describe(`API errors (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend);
      await publishSample(h);
      const r = await h.req('POST', '/v1/tenants', { body: tenantBody('acme') });
      assert.equal(r.status, 202);
      for (const owner of ['acme', 'globex']) {
        const c = await h.req('POST', '/v1/clusters', { body: { name: `${owner}-only`, provider: 'local', region: 'r', role: `dedicated:${owner}`, apiServer: 'https://127.0.0.1:6443', credentials: 'apiVersion: v1\nkind: Config\n' } });
        assert.equal(c.status, 201, JSON.stringify(c.body));
      }
    });

    test('an explicit cluster dedicated to the tenant itself is accepted', async () => {
      const r = await h.req('POST', '/v1/tenants/acme/environments', { body: { name: 'own', type: 'dev', blueprint: 'demo-app', version: '1.0.0', cluster: 'acme-only' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
    });
    after(async () => h?.close());

    for (const c of CASES) {
      test(`${c.name} → ${c.status} ${c.type}`, async () => {
        const before = await counts(h.store);
        const headers: Record<string, string> = c.name === 'bad If-Match' ? { 'if-match': 'nonsense' } : {};
        const r = await h.req(c.method, c.url, {
          ...(c.body !== undefined ? { body: c.body } : {}),
          ...(c.raw !== undefined ? { raw: c.raw } : {}),
          ...(c.contentType ? { contentType: c.contentType } : {}),
          ...(c.token !== undefined ? { token: c.token } : {}),
          headers,
        });
        assert.equal(r.status, c.status, JSON.stringify(r.body));
        assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
        assert.equal(r.body.type, P + c.type);
        assert.equal(r.body.status, c.status);
        assert.equal(typeof r.body.title, 'string');
        assert.equal(typeof r.body.detail, 'string');
        assert.equal(r.body.instance, c.url);
        if (c.field) assert.ok(r.body.errors?.some((e: { field: string }) => e.field === c.field), `expected ${c.field} in ${JSON.stringify(r.body.errors)}`);
        assert.deepEqual(await counts(h.store), before, 'nothing written');
      });
    }

    test('oversized body → 413, nothing written', async () => {
      const before = await counts(h.store);
      const big = { ...tenantBody('huge'), labels: { pad: 'x' }, name: 'x'.repeat(1_100_000) };
      const r = await h.req('POST', '/v1/tenants', { body: big });
      assert.equal(r.status, 413);
      assert.equal(r.body.type, `${P}body-too-large`);
      assert.deepEqual(await counts(h.store), before);
    });

    test('405 names the allowed methods', async () => {
      const r = await h.req('PUT', '/v1/tenants/acme', { body: {} });
      assert.match(String(r.headers.allow), /GET/);
      assert.match(String(r.headers.allow), /PATCH/);
    });

    test('401 carries WWW-Authenticate', async () => {
      const r = await h.req('GET', '/v1/tenants', { token: null });
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    });
  });
}
