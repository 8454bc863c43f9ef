// The response conformance check the API test harness runs on every answer
// (test/helpers/response-conformance.ts) fails what it should: an undeclared status, an undeclared
// content type, a field its schema does not list, a missing or mistyped field; and passes open
// objects, records and 204/304. And the real app sends what the handler returned, fields its schema
// does not list included (plain JSON.stringify, ADR 0320): nothing is dropped or coerced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Api } from '../../src/api/context.ts';
import { checkResponses, closedByDefault, nonConforming } from '../helpers/response-conformance.ts';
import { apiDeps, storeHandle, type StoreHandle } from '../helpers/api-harness.ts';
import { buildApp } from '../../src/api/app.ts';
import type { Store } from '../../src/domain/ports/store.ts';

describe('response conformance check', () => {
  const app = Fastify() as unknown as Api;
  const Thing = Type.Object({ name: Type.String(), size: Type.Integer(), labels: Type.Record(Type.String(), Type.String()), spec: Type.Object({}, { additionalProperties: true }) });
  const routes: Array<[string, unknown, number, string?]> = [
    ['/exact', { name: 'a', size: 1, labels: { x: 'y' }, spec: { anything: [1, { deep: true }] } }, 200],
    ['/extra', { name: 'a', size: 1, labels: {}, spec: {}, secret: 'not declared' }, 200],
    ['/missing', { name: 'a', labels: {}, spec: {} }, 200],
    ['/mistyped', { name: 'a', size: '1', labels: {}, spec: {} }, 200],
    ['/status', { name: 'a', size: 1, labels: {}, spec: {} }, 201],
    ['/type', 'name,size', 200, 'text/csv'],
    ['/empty', null, 204],
  ];
  before(async () => {
    app.setSerializerCompiler(() => (data) => JSON.stringify(data));
    checkResponses(app);
    for (const [url, body, status, type] of routes) {
      app.get(url, { schema: { response: { 200: Thing, 204: Type.Null() } } }, async (_req, reply) => {
        if (type) reply.type(type);
        return reply.status(status as 200).send(body as never);
      });
    }
    await app.ready();
  });
  after(async () => app.close());

  const answer = async (url: string) => (await app.inject({ method: 'GET', url })).statusCode;

  test('passes an exact answer, open objects, records and a 204', async () => {
    assert.equal(await answer('/exact'), 200);
    assert.equal(await answer('/empty'), 204);
  });

  test('fails an undeclared field, a missing one, a mistyped one, an undeclared status and content type', async () => {
    const before = nonConforming.length;
    for (const url of ['/extra', '/missing', '/mistyped', '/status', '/type']) assert.equal(await answer(url), 500, url);
    const seen = nonConforming.slice(before);
    assert.equal(seen.length, 5);
    assert.match(seen[0]!, /GET \/extra: 200 body does not match its schema: .*additional properties/);
    assert.match(seen[1]!, /must have required property 'size'/);
    assert.match(seen[2]!, /size must be integer/);
    assert.match(seen[3]!, /status 201 is not declared/);
    assert.match(seen[4]!, /content type text\/csv is not declared/);
    nonConforming.splice(before); // this suite's own failures are expected ones
  });

  test('closes objects that list properties, leaves open ones, records and allOf members alone', () => {
    const closed = closedByDefault({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } }, o: { type: 'object', additionalProperties: true, properties: {} } }, allOf: [{ type: 'object', properties: { c: {} } }] }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(closed.additionalProperties, false);
    assert.equal(closed.properties.a.additionalProperties, false);
    assert.equal(closed.properties.o.additionalProperties, true);
    assert.equal(closed.allOf[0].additionalProperties, undefined);
  });
});

describe('the app sends what the handler returned', () => {
  let handle: StoreHandle;
  let store: Store;
  let app: Api;
  before(async () => {
    handle = await storeHandle('embedded');
    store = await handle.open();
    app = await buildApp(await apiDeps(store, handle.dataDir), { logger: false });
    // A route whose schema lists less than it returns, with another type: fast-json-stringify
    // would answer {"count":"3"}.
    app.get('/conformance-probe', { config: { auth: 'public' }, schema: { response: { 200: Type.Object({ count: Type.String() }) } } }, async () => ({ count: 3, extra: { kept: true } }) as never);
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await store?.close();
    await handle?.destroy();
  });

  test('a response schema neither drops nor coerces a field (JSON.stringify, not fast-json-stringify)', async () => {
    const r = await app.inject({ method: 'GET', url: '/conformance-probe' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { count: 3, extra: { kept: true } });
  });
});
