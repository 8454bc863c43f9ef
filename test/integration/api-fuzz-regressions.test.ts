// What Schemathesis found (test/integration/api-fuzz-{tenant,cross,admin}.test.ts), one case each, so a regression fails
// here by name rather than somewhere in a fuzz run. Each failed before its fix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BLUEPRINT, harness, tenantBody, type Harness } from '../helpers/api-harness.ts';

const PROBLEM = /^application\/problem\+json/;

describe('fuzz findings', () => {
  let h: Harness;
  before(async () => {
    h = await harness('embedded');
    assert.equal((await h.req('POST', '/v1/clusters', { body: { name: 'c1', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:1' } })).status, 201);
  });
  after(async () => h?.close());

  test('a path segment over the router limit is a problem+json 414 naming the path (was Fastify\'s own JSON)', async () => {
    const r = await h.req('GET', `/v1/clusters/${'a'.repeat(300)}`);
    assert.equal(r.status, 414);
    assert.match(String(r.headers['content-type']), PROBLEM);
    assert.equal(r.body.type, 'https://fleetplane.io/problems/uri-too-long');
    assert.deepEqual(r.body.errors.map((e: { field: string }) => e.field), ['path']);
  });

  test('a path parameter over its maxLength but under the router limit is the schema\'s 400 naming it (was 414)', async () => {
    const r = await h.req('GET', `/v1/clusters/${'a'.repeat(120)}`);
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].field, 'path:/name');
    // Token ids are declared up to 128 characters: such an id reaches the route (404), not the router's 414.
    assert.equal((await h.req('DELETE', `/v1/tokens/${'t'.repeat(128)}`)).status, 404);
  });

  test('a path that is not valid percent-encoding is a problem+json 400 naming the path', async () => {
    const r = await h.req('GET', '/v1/tenants/%zz');
    assert.equal(r.status, 400);
    assert.match(String(r.headers['content-type']), PROBLEM);
    assert.deepEqual(r.body.errors.map((e: { field: string }) => e.field), ['path']);
  });

  test('an unknown method with a body (QUERY) is 405 with Allow, not a 400 about Content-Type', async () => {
    const r = await h.app.inject({ method: 'QUERY' as 'GET', url: '/healthz', headers: { authorization: `Bearer ${h.adminToken}` } });
    assert.equal(r.statusCode, 405);
    assert.equal(r.headers.allow, 'GET');
    assert.match(String(r.headers['content-type']), PROBLEM);
  });

  test('Allow on a custom-method path lists that path\'s methods only (was GET, DELETE, POST)', async () => {
    for (const method of ['GET', 'DELETE', 'PUT'] as const) {
      const r = await h.req(method, '/v1/clusters/c1:cordon');
      assert.equal(r.status, 405, `${method}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.allow, 'POST', method);
    }
    const rotate = await h.req('PUT', '/v1/tokens/tok_1:rotate', { body: {} });
    assert.equal(rotate.status, 405);
    assert.equal(rotate.headers.allow, 'POST');
    for (const url of ['/v1/rollouts/ro-1:pause', '/v1/cluster-upgrades/cu-0123abcd:abort']) {
      const r = await h.req('GET', url);
      assert.equal(r.status, 405, `${url}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.allow, 'POST', url);
    }
    // The plain resource paths still route as before.
    assert.equal((await h.req('GET', '/v1/rollouts/ro-1')).status, 404);
    assert.equal((await h.req('GET', '/v1/rollouts/ro-1/matrix')).status, 404);
    assert.equal((await h.req('GET', '/v1/cluster-upgrades/cu-0123abcd')).status, 404);
    assert.equal((await h.req('GET', '/v1/clusters/c1')).status, 200);
    assert.equal((await h.req('GET', '/v1/clusters/c1/evacuation-plan')).status, 200);
  });

  test('a malformed body to a path no route has is that path\'s 404/405, not a 400 about the body', async () => {
    const send = (method: 'POST' | 'PUT', url: string) => h.app.inject({ method, url, payload: '{"a":', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' } });
    const missing = await send('POST', '/v1/nope');
    assert.equal(missing.statusCode, 404, missing.body);
    const wrongMethod = await send('PUT', '/v1/clusters');
    assert.equal(wrongMethod.statusCode, 405, wrongMethod.body);
    assert.equal(wrongMethod.headers.allow, 'POST, GET');
    // On a real route the body is judged: 400 naming it.
    const real = await send('POST', '/v1/clusters');
    assert.equal(real.statusCode, 400);
  });

  test('install reports filter by ?environment= (the query schema refused its own field)', async () => {
    assert.equal((await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '1.0.0', spec: BLUEPRINT } })).status, 201);
    assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('acme', ['prod']) })).status, 202);
    const r = await h.req('GET', '/v1/tenants/acme/install-reports?environment=prod&limit=5');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.items, []);
  });

  test('the OpenAPI document declares what these operations really answer', async () => {
    const doc = (await h.req('GET', '/openapi.json', { token: null })).body;
    const ok = (path: string, method: string) => doc.paths[path][method].responses;
    assert.deepEqual(ok('/v1/clusters/{name}', 'delete')['204'], { description: 'No content' });
    assert.deepEqual(ok('/v1/tokens/{id}', 'delete')['204'], { description: 'No content' });
    // Each success status is listed (no 2XX wildcard: a fuzzer could judge nothing against it).
    assert.equal(ok('/v1/clusters/{name}', 'delete')['2XX'], undefined);
    assert.deepEqual(Object.keys(ok('/v1/bundles/signing-key', 'get')['200'].content), ['application/x-pem-file']);
    assert.deepEqual(Object.keys(ok('/v1/tenants/{tenant}/bundles/{env}', 'get')['200'].content), ['application/gzip']);
    assert.deepEqual(Object.keys(ok('/v1/tenants/{tenant}/usage/export', 'get')['200'].content), ['text/csv', 'application/json', 'application/cloudevents-batch+json']);
    assert.deepEqual(Object.keys(ok('/login', 'get')['200'].content), ['text/html']);
    // The real answers carry those types.
    assert.match(String((await h.req('GET', '/v1/bundles/signing-key', { token: null })).headers['content-type']), /^application\/x-pem-file/);
    assert.equal((await h.req('POST', '/v1/clusters', { body: { name: 'c2', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:2' } })).status, 201);
    const gone = await h.req('DELETE', '/v1/clusters/c2');
    assert.equal(gone.status, 204);
    assert.equal(gone.raw.length, 0);
  });
});
