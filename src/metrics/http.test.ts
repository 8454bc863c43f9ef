import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { metricsPlugin, routePattern } from './http.ts';
import { BoundedLabel, registry } from './registry.ts';

type Sample = { labels: Record<string, unknown>; value: number; metricName?: string };

async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name || x.name === base);
  const values = (m?.values ?? []) as Sample[];
  return values.find((v) => (v.metricName ?? m!.name) === name && Object.entries(labels).every(([k, w]) => String(v.labels[k]) === w))?.value;
}

test('RED metrics use the route pattern, the status class and a bounded tenant label', async () => {
  const tenants = new BoundedLabel(2);
  const app = Fastify();
  await app.register(metricsPlugin, { tenants });
  app.get('/t1/tenants/:tenant/things/:id', async (req) => ({ ok: (req.params as { id: string }).id }));
  app.get('/t1/boom', async () => {
    throw new Error('boom');
  });
  try {
    for (const id of ['1', '2', '3']) await app.inject({ url: `/t1/tenants/acme/things/${id}` });
    await app.inject({ url: '/t1/tenants/globex/things/1' });
    await app.inject({ url: '/t1/tenants/initech/things/1' }); // third tenant: beyond the cap
    await app.inject({ url: '/t1/boom' });
    await app.inject({ url: '/t1/nowhere/at/all' });
    const route = '/t1/tenants/:tenant/things/:id';
    const total = 'fleetplane_http_requests_total';
    assert.equal(await value(total, { route, tenant: 'acme', status_class: '2xx', method: 'GET' }), 3);
    assert.equal(await value(total, { route, tenant: 'globex' }), 1);
    assert.equal(await value(total, { route, tenant: 'other' }), 1);
    assert.equal(await value(total, { route, tenant: 'initech' }), undefined);
    assert.equal(await value(total, { route: '/t1/boom', status_class: '5xx', tenant: 'none' }), 1);
    assert.equal(await value(total, { route: 'unmatched', status_class: '4xx' }) !== undefined, true);
    const text = await registry.metrics();
    assert.ok(!text.includes('/t1/tenants/acme/things/1'), 'raw URLs never become labels');
    assert.equal(await value('fleetplane_http_request_duration_seconds_bucket', { route, tenant: 'acme', le: '+Inf' }), 3);
    assert.equal(await value('fleetplane_http_request_duration_seconds_count', { route, tenant: 'acme' }), 3);
  } finally {
    await app.close();
  }
});

test('tenant slugs from failed requests cannot take a slot; caller tenant from the auth principal', async () => {
  const tenants = new BoundedLabel(5);
  const app = Fastify();
  await app.register(metricsPlugin, { tenants, path: false });
  app.addHook('onRequest', async (req) => {
    (req as unknown as { principal?: { tenant: string } }).principal = { tenant: 'umbrella' };
  });
  app.get('/t2/tenants/:tenant', async (_req, reply) => reply.status(404).send({}));
  app.get('/t2/mine', async () => ({}));
  try {
    await app.inject({ url: '/t2/tenants/made-up-1' });
    await app.inject({ url: '/t2/mine' });
    assert.equal(await value('fleetplane_http_requests_total', { route: '/t2/tenants/:tenant', tenant: 'other' }), 1);
    assert.equal(await value('fleetplane_http_requests_total', { route: '/t2/mine', tenant: 'umbrella' }), 1);
    assert.equal(tenants.size, 1);
    assert.equal((await app.inject({ url: '/metrics' })).statusCode, 404, 'path: false registers no endpoint');
  } finally {
    await app.close();
  }
});

test('GET /metrics serves the registry in Prometheus text format with process metrics', async () => {
  const app = Fastify();
  await app.register(metricsPlugin);
  try {
    const res = await app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^# HELP fleetplane_process_cpu_user_seconds_total /m);
    assert.match(res.body, /^# TYPE fleetplane_http_requests_total counter$/m);
  } finally {
    await app.close();
  }
});

test('BoundedLabel: caps, rejects non-DNS values, maps empty to none', () => {
  const b = new BoundedLabel(1);
  assert.equal(b.label('a'), 'a');
  assert.equal(b.label('b'), 'other');
  assert.equal(b.label('a'), 'a');
  assert.equal(b.label('Bad Slug'), 'invalid');
  assert.equal(b.label(undefined), 'none');
});

test('route labels drop parameter regexes and unescape literal colons (custom-method routes)', async () => {
  assert.equal(routePattern('/v1/tenants/:tenant/environments/:env(^[a-z0-9-]+)::hibernate'), '/v1/tenants/:tenant/environments/:env:hibernate');
  assert.equal(routePattern('/v1/blueprints/:name/:version(^[0-9][^:]*)::reject'), '/v1/blueprints/:name/:version:reject');
  assert.equal(routePattern('/v1/x/:id(\\d+(?:\\.\\d+)?)'), '/v1/x/:id', 'escaped parentheses inside the regex');
  assert.equal(routePattern('/v1/tenants/:tenant'), '/v1/tenants/:tenant');
  const app = Fastify();
  await app.register(metricsPlugin, { tenants: new BoundedLabel(2) });
  app.post('/t3/things/:id(^[a-z]+)::poke', async () => ({ ok: true }));
  assert.equal((await app.inject({ method: 'POST', url: '/t3/things/abc:poke' })).statusCode, 200);
  assert.equal(await value('fleetplane_http_requests_total', { route: '/t3/things/:id:poke', status_class: '2xx' }), 1);
  await app.close();
});
