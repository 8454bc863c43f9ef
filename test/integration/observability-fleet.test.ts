// GET /v1/fleet/health and the dashboard download against the real control plane: a reachable
// testbed cluster and an unreachable one (partial failure reported next to the results), admin
// and tenant-token scopes, worst offenders ordered by how long they have been unhealthy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Environment, Health } from '../../src/domain/types.ts';
import type { FleetHealth } from '../../src/observability/fleet-health.ts';
import { metricNames } from '../helpers/promql.ts';
import { getTestbed } from '../helpers/testbed.ts';
import { freePort, startControlPlane, type ControlPlane } from './observability-support.ts';

let cp: ControlPlane;
let tenantToken: string;
const root = join(import.meta.dirname, '../..');

async function call(path: string, opts: { token?: string; method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${cp.url}${path}`, {
    method: opts.method ?? 'GET',
    headers: { authorization: `Bearer ${opts.token ?? cp.adminToken}`, ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
}

async function ok(res: Promise<Response>): Promise<unknown> {
  const r = await res;
  const text = await r.text();
  assert.ok(r.status < 300, `${r.url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function unreachableKubeconfig(port: number): string {
  return YAML.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'gone',
    clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'not-a-real-token' } }],
    contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
  });
}

const HOUR = 3600_000;

async function seedEnvironment(tenant: string, name: string, cluster: string, health: Health, unhealthyForMs = 0): Promise<void> {
  const since = new Date(Date.now() - unhealthyForMs).toISOString();
  const conditions: Environment['conditions'] = health === 'Ready' ? [] : [
    { type: 'Ready', status: 'False', reason: health === 'Failed' ? 'DeliveryFailed' : 'PodsNotReady', message: `${name} is ${health}`, lastTransitionTime: since },
    { type: 'Degraded', status: 'True', reason: health === 'Failed' ? 'DeliveryFailed' : 'PodsNotReady', message: `${name} is ${health}`, lastTransitionTime: since },
  ];
  // Seeded straight into the store: the test is about reporting state, not producing it.
  await cp.store.environments.create({
    tenant, name, type: name === 'prod' ? 'prod' : 'staging', blueprint: 'default', version: '1.5.0', values: {},
    placement: { cluster, namespace: `${tenant}-${name}` }, delivery: 'direct', selfHeal: false, health, conditions,
  });
}

before(async () => {
  const tb = await getTestbed();
  const real = tb.clusters[0]!;
  cp = await startControlPlane();
  const doc = YAML.parse(readFileSync(join(root, 'blueprints/default/1.5.0.yaml'), 'utf8')) as Record<string, unknown>;
  await ok(call('/v1/blueprints', { method: 'POST', body: { name: 'default', version: '1.5.0', spec: doc } }));
  await ok(call('/v1/clusters', { method: 'POST', body: { name: 'live', provider: 'local', region: 'local', apiServer: real.apiServer, credentials: readFileSync(real.kubeconfig, 'utf8') } }));
  const port = await freePort();
  await ok(call('/v1/clusters', { method: 'POST', body: { name: 'gone', provider: 'local', region: 'local', apiServer: `https://127.0.0.1:${port}`, credentials: unreachableKubeconfig(port) } }));
  for (const slug of ['acme', 'globex']) await ok(call('/v1/tenants', { method: 'POST', body: { slug, name: slug, tier: 'dedicated' } }));
  await seedEnvironment('acme', 'prod', 'live', 'Ready');
  await seedEnvironment('acme', 'staging', 'live', 'Degraded', 2 * HOUR);
  await seedEnvironment('globex', 'prod', 'gone', 'Failed', 5 * HOUR);
  await seedEnvironment('globex', 'staging', 'gone', 'Degraded', 1 * HOUR);
  const created = await ok(call('/v1/tokens', { method: 'POST', body: { name: 'acme-viewer', role: 'tenant-viewer', tenant: 'acme' } })) as { secret: string };
  tenantToken = created.secret;
});

after(async () => {
  await cp?.stop();
});

test('admin: counts by health, version and cluster; worst offenders longest first; unreachable cluster reported', async () => {
  const h = await ok(call('/v1/fleet/health')) as FleetHealth;
  assert.deepEqual(h.scope, { kind: 'fleet' });
  assert.equal(h.environments, 4);
  assert.deepEqual(h.byHealth, { Ready: 1, Degraded: 2, Failed: 1 });
  assert.deepEqual(h.byVersion, [{ blueprint: 'default', version: '1.5.0', environments: 4, byHealth: { Ready: 1, Degraded: 2, Failed: 1 } }]);
  const live = h.byCluster.find((c) => c.cluster === 'live')!;
  const gone = h.byCluster.find((c) => c.cluster === 'gone')!;
  assert.deepEqual([live.reachable, live.environments, live.error], [true, 2, undefined]);
  assert.deepEqual([gone.reachable, gone.environments], [false, 2]);
  assert.match(gone.error!, /unreachable/);
  assert.deepEqual(h.errors.map((e) => e.cluster), ['gone']);
  assert.deepEqual(h.worstOffenders.map((o) => `${o.tenant}/${o.environment}:${o.health}:${o.reason}`),
    ['globex/prod:Failed:DeliveryFailed', 'acme/staging:Degraded:PodsNotReady', 'globex/staging:Degraded:PodsNotReady']);
  assert.ok(h.worstOffenders[0]!.unhealthySeconds >= 5 * 3600 - 60);

  const limited = await ok(call('/v1/fleet/health?limit=1&probe=false')) as FleetHealth;
  assert.equal(limited.worstOffenders.length, 1);
  assert.ok(limited.byCluster.every((c) => c.reachable === null));
});

test('tenant token: only its environments and the clusters hosting them', async () => {
  const h = await ok(call('/v1/fleet/health', { token: tenantToken })) as FleetHealth;
  assert.deepEqual(h.scope, { kind: 'tenant', tenant: 'acme' });
  assert.equal(h.environments, 2);
  assert.deepEqual(h.byCluster.map((c) => c.cluster), ['live']);
  assert.deepEqual(h.worstOffenders.map((o) => o.tenant), ['acme']);
  assert.ok(!JSON.stringify(h).includes('globex'));
});

test('bad query is a problem+json naming the field', async () => {
  const r = await call('/v1/fleet/health?limit=0');
  assert.equal(r.status, 400);
  assert.match(String(r.headers.get('content-type')), /application\/problem\+json/);
  assert.match(await r.text(), /limit/);
});

test('dashboards: listed per environment, downloadable, tenant-scoped, querying only recorded series', async () => {
  const list = await ok(call('/v1/tenants/acme/dashboards', { token: tenantToken })) as { items: Array<{ environment: string; folder: string; href: string }> };
  assert.deepEqual(list.items.map((i) => i.environment).sort(), ['prod', 'staging']);
  assert.ok(list.items.every((i) => i.folder === 'acme'));

  const res = await call('/v1/tenants/acme/dashboards/prod', { token: tenantToken });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(String(res.headers.get('content-disposition')), /acme-prod\.json/);
  const d = await res.json() as { title: string; panels: Array<{ id: number; title: string; targets?: Array<{ expr: string }> }> };
  assert.equal(d.title, 'acme / prod');
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const svc of ['web', 'api']) assert.ok(d.panels.some((p) => p.title === `${svc}: request rate`), `panels for ${svc}`);
  const used = d.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr)));
  assert.ok(used.length > 0 && used.every((m) => m.startsWith('service:')), used.join(', '));

  assert.equal((await call('/v1/tenants/globex/dashboards/prod', { token: tenantToken })).status, 404);
  assert.equal((await call('/v1/tenants/globex/dashboards', { token: tenantToken })).status, 404);
  assert.equal((await call('/v1/tenants/acme/dashboards/nope')).status, 404);
});
