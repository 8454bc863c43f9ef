// Tenant isolation on EVERY route. The route list comes from the app itself (app.fleetRoutes), so a
// route added without a case here fails this test. A tenant token asking for another tenant's
// resource gets exactly what a missing resource gets (404); admin-only routes answer 403; lists are
// filtered to the caller's tenant; nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, counts, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

type Expect = 404 | 403 | 'filtered' | 'shared' | 'public';

interface Case {
  expect: Expect;
  /** Request as tenant "beta" aimed at tenant "alpha" ({victim} is replaced). */
  url?: string;
  body?: unknown;
}

/** Normalized route key: ":p(regex)" and ":p" become "{p}", "::" a literal ":". */
export function routeKey(method: string, url: string): string {
  const path = url.replace(/::/g, '\u0000').replace(/:(\w+)(\([^)]*\))?/g, '{$1}').replace(/\u0000/g, ':');
  return `${method} ${path}`;
}

const action = (verb: string, body: unknown): Case => ({ expect: 404, url: `/v1/tenants/{victim}/environments/prod:${verb}`, body });

const CASES: Record<string, Case> = {
  'GET /healthz': { expect: 'public' },
  'GET /readyz': { expect: 'public' },
  'GET /openapi.json': { expect: 'public' },
  'GET /metrics': { expect: 'public' },
  // Runbooks the alerts link to (src/api/routes/runbooks.ts): the same Markdown for everyone.
  'GET /runbooks': { expect: 'public' },
  'GET /runbooks/{name}': { expect: 'public' },
  // The key bundles are signed with: public by nature (src/api/routes/bundles.ts).
  'GET /v1/bundles/signing-key': { expect: 'public' },
  'POST /v1/tenants': { expect: 403, url: '/v1/tenants', body: tenantBody('gamma') },
  'GET /v1/tenants': { expect: 'filtered', url: '/v1/tenants' },
  'GET /v1/tenants/{tenant}': { expect: 404, url: '/v1/tenants/{victim}' },
  'PATCH /v1/tenants/{tenant}': { expect: 404, url: '/v1/tenants/{victim}', body: { maintenanceWindow: { days: ['sat'], start: '02:00', durationMinutes: 60 } } },
  'DELETE /v1/tenants/{tenant}': { expect: 404, url: '/v1/tenants/{victim}' },
  'GET /v1/tenants/{tenant}/environments': { expect: 404, url: '/v1/tenants/{victim}/environments' },
  'POST /v1/tenants/{tenant}/environments': { expect: 404, url: '/v1/tenants/{victim}/environments', body: { name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' } },
  'GET /v1/environments/{tenant}/{env}': { expect: 404, url: '/v1/environments/{victim}/prod' },
  'POST /v1/tenants/{tenant}/environments/{env}:upgrade': action('upgrade', { version: '1.0.0' }),
  'POST /v1/tenants/{tenant}/environments/{env}:patch': action('patch', { values: { logLevel: 'debug' } }),
  'POST /v1/tenants/{tenant}/environments/{env}:scale': action('scale', { component: 'web', replicas: 2 }),
  'POST /v1/tenants/{tenant}/environments/{env}:rollback': action('rollback', {}),
  'POST /v1/tenants/{tenant}/environments/{env}:restart': action('restart', {}),
  'POST /v1/clusters': { expect: 403, url: '/v1/clusters', body: { name: 'c9', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:1' } },
  'GET /v1/clusters': { expect: 403, url: '/v1/clusters' },
  'GET /v1/clusters/{name}': { expect: 403, url: '/v1/clusters/c1' },
  'DELETE /v1/clusters/{name}': { expect: 403, url: '/v1/clusters/c1' },
  'POST /v1/blueprints': { expect: 403, url: '/v1/blueprints', body: { name: 'x', version: '1.0.0', spec: {} } },
  'GET /v1/blueprints': { expect: 'shared', url: '/v1/blueprints' },
  'GET /v1/blueprints/{name}/{version}': { expect: 'shared', url: '/v1/blueprints/demo-app/1.0.0' },
  // Rejecting a release or clearing a rejection is an admin's (a tenant token cannot block or unblock the fleet's release).
  'POST /v1/blueprints/{name}/{version}:reject': { expect: 403, url: '/v1/blueprints/demo-app/1.0.0:reject', body: { reason: 'x' } },
  'POST /v1/blueprints/{name}/{version}:clear-rejection': { expect: 403, url: '/v1/blueprints/demo-app/1.0.0:clear-rejection' },
  'GET /v1/operations/{id}': { expect: 404, url: '/v1/operations/{victimOp}' },
  'GET /v1/operations': { expect: 'filtered', url: '/v1/operations?tenant={victim}' },
  // The audit log (src/api/routes/audit.ts): a tenant token reads only its own tenant's entries.
  'GET /v1/audit': { expect: 'filtered', url: '/v1/audit?tenant={victim}' },
  'POST /v1/events': { expect: 403, url: '/v1/events', body: { specversion: '1.0', id: 'x1', source: '/t', type: 'io.fleetplane.customer.offboarded', data: { tenant: 'alpha' } } },
  'POST /v1/tokens': { expect: 403, url: '/v1/tokens', body: { name: 'steal', role: 'tenant-admin', tenant: 'alpha' } },
  'GET /v1/tokens': { expect: 403, url: '/v1/tokens' },
  'DELETE /v1/tokens/{id}': { expect: 403, url: '/v1/tokens/{adminTokenId}' },
  // Rotation is open to tenant-admins, for their own tenant's tokens only: alpha's token is a 404.
  'POST /v1/tokens/{id}:rotate': { expect: 404, url: '/v1/tokens/{victimToken}:rotate', body: { graceSeconds: 60 } },
  // Fleet-wide rollouts are the platform team's (src/api/routes/rollouts.ts).
  'POST /v1/rollouts': { expect: 403, url: '/v1/rollouts', body: { blueprint: 'demo-app', version: '1.0.0', selector: {} } },
  'POST /v1/rollouts:preview': { expect: 403, url: '/v1/rollouts:preview', body: { blueprint: 'demo-app', version: '1.0.0', selector: {} } },
  'GET /v1/rollouts': { expect: 403, url: '/v1/rollouts' },
  'GET /v1/rollouts/{id}': { expect: 403, url: '/v1/rollouts/ro-0000' },
  'POST /v1/rollouts/{id}:pause': { expect: 403, url: '/v1/rollouts/ro-0000:pause' },
  'POST /v1/rollouts/{id}:resume': { expect: 403, url: '/v1/rollouts/ro-0000:resume' },
  'POST /v1/rollouts/{id}:abort': { expect: 403, url: '/v1/rollouts/ro-0000:abort' },
  // Observability (src/api/routes/fleet.ts, dashboards.ts).
  'GET /v1/fleet/health': { expect: 'filtered', url: '/v1/fleet/health?probe=false' },
  'GET /v1/tenants/{tenant}/dashboards': { expect: 404, url: '/v1/tenants/{victim}/dashboards' },
  'GET /v1/tenants/{tenant}/dashboards/{env}': { expect: 404, url: '/v1/tenants/{victim}/dashboards/prod' },
  // Self-managed bundles (src/api/routes/bundles.ts).
  'GET /v1/tenants/{tenant}/bundles/{env}': { expect: 404, url: '/v1/tenants/{victim}/bundles/prod' },
  // Predictive scaling of one environment (src/api/routes/scaling.ts).
  'GET /v1/environments/{tenant}/{env}/scaling/decisions': { expect: 404, url: '/v1/environments/{victim}/prod/scaling/decisions' },
  'GET /v1/environments/{tenant}/{env}/scaling/policy': { expect: 404, url: '/v1/environments/{victim}/prod/scaling/policy' },
  // VPA right-sizing (src/api/routes/vpa.ts); test/integration/vpa-api.test.ts also checks it on a testbed cluster.
  'GET /v1/environments/{tenant}/{env}/scaling/vpa/recommendation': { expect: 404, url: '/v1/environments/{victim}/prod/scaling/vpa/recommendation?name=web' },
  'PUT /v1/environments/{tenant}/{env}/scaling/vpa': { expect: 404, url: '/v1/environments/{victim}/prod/scaling/vpa', body: { workload: { name: 'web' }, mode: 'Off' } },
  // Usage metering (src/api/routes/metering.ts): the tenant's own usage only.
  'GET /v1/tenants/{tenant}/usage': { expect: 404, url: '/v1/tenants/{victim}/usage' },
  'GET /v1/tenants/{tenant}/usage/corrections': { expect: 404, url: '/v1/tenants/{victim}/usage/corrections' },
  'GET /v1/tenants/{tenant}/usage/export': { expect: 404, url: '/v1/tenants/{victim}/usage/export?format=json' },
  // Marketplace billing is the platform team's (src/api/routes/marketplace.ts).
  'PUT /v1/tenants/{tenant}/marketplace': {
    expect: 403, url: '/v1/tenants/{victim}/marketplace',
    body: { marketplace: 'aws', aws: { productCode: 'p', customerAwsAccountId: '123456789012' }, dimensions: { 'api-requests': { name: 'requests' } }, startHour: '2026-12-01T00:00:00Z' },
  },
  'GET /v1/tenants/{tenant}/marketplace': { expect: 403, url: '/v1/tenants/{victim}/marketplace' },
  'GET /v1/tenants/{tenant}/marketplace/exports': { expect: 403, url: '/v1/tenants/{victim}/marketplace/exports' },
  // Self-managed channel (src/api/routes/self-managed.ts; the full cross-tenant story with report
  // tokens is in self-managed.test.ts). Licenses are issued by the platform team only.
  'PUT /v1/tenants/{tenant}/license': { expect: 403, url: '/v1/tenants/{victim}/license', body: { expiresAt: '2030-01-01T00:00:00Z', entitlements: { maxEnvironments: 1, maxGpus: 0 } } },
  'GET /v1/tenants/{tenant}/license': { expect: 404, url: '/v1/tenants/{victim}/license' },
  'GET /v1/tenants/{tenant}/install-reports': { expect: 404, url: '/v1/tenants/{victim}/install-reports' },
  'POST /v1/tenants/{tenant}/install-reports': { expect: 404, url: '/v1/tenants/{victim}/install-reports', body: {
    apiVersion: 'fleetplane.io/v1alpha1', kind: 'InstallReport', id: 'r-1', tenant: 'alpha', environment: 'prod', revision: 'rev', blueprint: 'demo-app', version: '1.0.0',
    result: 'installed', message: 'ok', preflight: [], kubernetesVersion: null, pruned: 0, reportedAt: '2026-12-02T00:00:00Z', signature: 'a'.repeat(64),
  } },
  // Authenticated by the bundle's report token only (never a tenant token): 401 for anything else.
  'POST /v1/install-reports': { expect: 'public' },
  'GET /v1/self-managed/environments': { expect: 'filtered', url: '/v1/self-managed/environments?tenant={victim}' },
  // Cluster lifecycle (src/api/routes/lifecycle.ts): the platform team's, except the placement preview
  // (a tenant previews for itself only; another tenant's preview is 404, and tests below check it
  // never lists a cluster dedicated to another tenant).
  'POST /v1/clusters/{name}:cordon': { expect: 403, url: '/v1/clusters/c1:cordon', body: { reason: 'x' } },
  'POST /v1/clusters/{name}:uncordon': { expect: 403, url: '/v1/clusters/c1:uncordon', body: {} },
  'GET /v1/clusters/{name}/evacuation-plan': { expect: 403, url: '/v1/clusters/c1/evacuation-plan' },
  // Move and evacuate (docs/clusters.md): a tenant admin moves its own environments only (another
  // tenant's is 404, as missing); evacuations and the failover policy are the platform team's.
  'POST /v1/tenants/{tenant}/environments/{env}:move': action('move', { to: 'c1' }),
  'POST /v1/clusters/{name}:evacuate': { expect: 403, url: '/v1/clusters/c1:evacuate', body: { concurrency: 2 } },
  'POST /v1/regions/{region}:evacuate': { expect: 403, url: '/v1/regions/r:evacuate', body: {} },
  'GET /v1/evacuations': { expect: 403, url: '/v1/evacuations' },
  'GET /v1/evacuations/{id}': { expect: 403, url: '/v1/evacuations/ev-00000000' },
  'GET /v1/failover': { expect: 403, url: '/v1/failover' },
  'POST /v1/placement:preview': { expect: 404, url: '/v1/placement:preview', body: { tenant: '{victim}' } },
  'GET /v1/fleet/versions': { expect: 403, url: '/v1/fleet/versions?target=v1.37.2' },
  'POST /v1/cluster-upgrades': { expect: 403, url: '/v1/cluster-upgrades', body: { target: 'v1.37.2' } },
  'GET /v1/cluster-upgrades': { expect: 403, url: '/v1/cluster-upgrades' },
  'GET /v1/cluster-upgrades/{id}': { expect: 403, url: '/v1/cluster-upgrades/cu-00000000' },
  'POST /v1/cluster-upgrades/{id}:pause': { expect: 403, url: '/v1/cluster-upgrades/cu-00000000:pause' },
  'POST /v1/cluster-upgrades/{id}:resume': { expect: 403, url: '/v1/cluster-upgrades/cu-00000000:resume' },
  'POST /v1/cluster-upgrades/{id}:abort': { expect: 403, url: '/v1/cluster-upgrades/cu-00000000:abort' },
  'PUT /v1/environments/{tenant}/{env}/scaling/policy': {
    expect: 404, url: '/v1/environments/{victim}/prod/scaling/policy',
    body: { mode: 'dry-run', hpa: { cluster: 'c1', namespace: 'alpha-prod', name: 'web' }, query: 'sum(rate(x[5m]))', floor: 1, ceiling: 5, capacityPerPod: 10 },
  },
  // The web console (src/api/routes/console-*.ts, events-stream.ts): its HTML and assets are public
  // (they hold no data); its summary routes are filtered to the caller's tenant; the change stream
  // replays only the caller's tenant (follow=false ends the response after the replay).
  'GET /': { expect: 'public' },
  'GET /login': { expect: 'public' },
  'GET /tenants': { expect: 'public' },
  'GET /tenants/{tenant}': { expect: 'public' },
  'GET /tenants/{tenant}/{env}': { expect: 'public' },
  'GET /rollouts': { expect: 'public' },
  'GET /rollouts/{id}': { expect: 'public' },
  'GET /clusters': { expect: 'public' },
  'GET /activity': { expect: 'public' },
  'GET /assets/{file}': { expect: 'public' },
  'GET /v1/fleet/summary': { expect: 'filtered', url: '/v1/fleet/summary' },
  'GET /v1/fleet/attention': { expect: 'filtered', url: '/v1/fleet/attention' },
  'GET /v1/fleet/clusters': { expect: 403, url: '/v1/fleet/clusters' },
  'GET /v1/rollouts/{id}/matrix': { expect: 403, url: '/v1/rollouts/ro-0000/matrix' },
  'GET /v1/events/stream': { expect: 'filtered', url: '/v1/events/stream?follow=false&lastEventId=0&tenant={victim}' },
  'GET /v1/environments/{tenant}/{env}/revisions': { expect: 404, url: '/v1/environments/{victim}/prod/revisions' },
  // A revision alpha really has (saved in before()): only the tenant check can refuse it.
  'GET /v1/environments/{tenant}/{env}/revisions/{id}': { expect: 404, url: '/v1/environments/{victim}/prod/revisions/{victimRevision}' },
  'GET /v1/environments/{tenant}/{env}/diff': { expect: 404, url: '/v1/environments/{victim}/prod/diff?from={victimRevision}&to={victimRevision}' },
  'GET /v1/environments/{tenant}/{env}/slo': { expect: 404, url: '/v1/environments/{victim}/prod/slo' },
  'POST /v1/tenants/{tenant}/environments/{env}:hibernate': action('hibernate', {}),
  'POST /v1/tenants/{tenant}/environments/{env}:wake': action('wake', {}),
  'GET /v1/environments/{tenant}/{env}/hibernation': { expect: 404, url: '/v1/environments/{victim}/prod/hibernation' },
  'PUT /v1/environments/{tenant}/{env}/hibernation/schedule': { expect: 404, url: '/v1/environments/{victim}/prod/hibernation/schedule', body: { off: [{ start: '20:00', end: '07:00' }] } },
  'DELETE /v1/environments/{tenant}/{env}/hibernation/schedule': { expect: 404, url: '/v1/environments/{victim}/prod/hibernation/schedule' },
  'GET /v1/tenants/{tenant}/hibernation/savings': { expect: 404, url: '/v1/tenants/{victim}/hibernation/savings' },
  'POST /v1/environments/{tenant}/{env}/training-jobs': { expect: 404, url: '/v1/environments/{victim}/prod/training-jobs', body: { component: 'train', id: 'steal' } },
  'GET /v1/environments/{tenant}/{env}/training-jobs': { expect: 404, url: '/v1/environments/{victim}/prod/training-jobs' },
};

describe('tenant isolation (every registered route)', () => {
  let h: Harness;
  let beta: string;
  let betaViewer: string;
  const vars: Record<string, string> = {};

  before(async () => {
    h = await harness(BACKENDS[0]!);
    await publishSample(h);
    await h.req('POST', '/v1/clusters', { body: { name: 'c1', provider: 'local', region: 'r', apiServer: 'https://127.0.0.1:1' } });
    const alpha = await h.req('POST', '/v1/tenants', { body: tenantBody('alpha', ['prod']) });
    assert.equal(alpha.status, 202);
    assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody('beta', ['prod']) })).status, 202);
    beta = (await h.req('POST', '/v1/tokens', { body: { name: 'beta', role: 'tenant-admin', tenant: 'beta' } })).body.secret;
    betaViewer = (await h.req('POST', '/v1/tokens', { body: { name: 'beta-ro', role: 'tenant-viewer', tenant: 'beta' } })).body.secret;
    vars.victimRevision = 'rev-alpha-1';
    await h.store.revisions.save({
      id: vars.victimRevision, tenant: 'alpha', environment: 'prod', blueprint: 'demo-app', version: '1.0.0', helmValues: [],
      objects: [{ hash: 'h1', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'alpha-secret-config', namespace: 'alpha-prod' }, data: { a: '1' } } }],
    });
    // The admin reads it (the route works), so the tenant's 404 below is the isolation, not a missing row.
    assert.equal((await h.req('GET', '/v1/environments/alpha/prod/revisions/rev-alpha-1')).status, 200);
    vars.victim = 'alpha';
    vars.victimOp = alpha.body.operations[0].id;
    vars.adminTokenId = (await h.req('GET', '/v1/tokens')).body.items[0].id;
    vars.victimToken = (await h.req('POST', '/v1/tokens', { body: { name: 'alpha', role: 'tenant-admin', tenant: 'alpha' } })).body.token.id;
  });
  after(async () => h?.close());

  const fill = (s: string, v: Record<string, string>) => s.replace(/\{(\w+)\}/g, (_, k: string) => v[k] ?? `{${k}}`);

  test('every route has a case', () => {
    const keys = h.app.fleetRoutes.map((r) => routeKey(r.method, r.url));
    const missing = keys.filter((k) => !(k in CASES));
    assert.deepEqual(missing, [], `add isolation cases for: ${missing.join(', ')}`);
    assert.ok(keys.length >= 25);
  });

  test('a tenant token cannot see or touch another tenant', async () => {
    const before = await counts(h.store);
    for (const r of h.app.fleetRoutes) {
      const key = routeKey(r.method, r.url);
      const c = CASES[key];
      if (!c || c.expect === 'public') continue;
      assert.ok(c.url, key);
      const send = (v: Record<string, string>, token = beta) => h.req(r.method, fill(c.url!, v), { token, ...(c.body !== undefined ? { body: JSON.parse(fill(JSON.stringify(c.body), v)) as unknown } : {}) });
      const res = await send(vars);
      if (c.expect === 404) {
        assert.equal(res.status, 404, `${key}: ${JSON.stringify(res.body)}`);
        // Indistinguishable from a resource that does not exist.
        const ghost = await send({ ...vars, victim: 'ghost', victimOp: '00000000-0000-0000-0000-000000000000', victimToken: 'tok_0000000000000000' });
        assert.equal(ghost.status, 404, `${key} (ghost)`);
        assert.equal(res.body.type, ghost.body.type, key);
        assert.equal(res.body.detail.replace('alpha', 'ghost').replace(vars.victimOp!, '00000000-0000-0000-0000-000000000000').replace(vars.victimToken!, 'tok_0000000000000000'), ghost.body.detail, key);
      } else if (c.expect === 403) {
        assert.equal(res.status, 403, `${key}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.type, 'https://fleetplane.io/problems/forbidden');
      } else if (c.expect === 'filtered') {
        assert.equal(res.status, 200, key);
        assert.ok(!JSON.stringify(res.body).includes('"alpha"'), `${key} leaks alpha: ${JSON.stringify(res.body)}`);
        // Also the bytes as sent (an event stream is text, not one JSON document).
        assert.ok(!res.raw.toString('utf8').includes('"alpha"'), `${key} leaks alpha: ${res.raw.toString('utf8').slice(0, 500)}`);
      } else {
        assert.equal(res.status, 200, key);
        assert.ok(!JSON.stringify(res.body).includes('"alpha"'), key);
      }
    }
    assert.deepEqual(await counts(h.store), before, 'nothing written by any attempt');
  });

  test('lists show the caller only its own tenant', async () => {
    const t = await h.req('GET', '/v1/tenants', { token: beta });
    assert.deepEqual(t.body.items.map((x: { slug: string }) => x.slug), ['beta']);
    const ops = await h.req('GET', '/v1/operations', { token: beta });
    assert.ok(ops.body.items.length > 0);
    assert.ok(ops.body.items.every((o: { tenant: string }) => o.tenant === 'beta'));
  });

  test('on its own tenant: tenant-admin acts, tenant-viewer only reads', async () => {
    assert.equal((await h.req('GET', '/v1/environments/beta/prod', { token: betaViewer })).status, 200);
    assert.equal((await h.req('POST', '/v1/tenants/beta/environments/prod:restart', { token: betaViewer, body: {} })).status, 403);
    assert.equal((await h.req('POST', '/v1/tenants/beta/environments/prod:restart', { token: beta, body: {} })).status, 202);
    assert.equal((await h.req('PATCH', '/v1/tenants/beta', { token: beta, body: { tier: 'dedicated' } })).status, 403, 'tier is the platform team\'s');
    assert.equal((await h.req('PATCH', '/v1/tenants/beta', { token: beta, body: { maintenanceWindow: { days: ['sun'], start: '03:00', durationMinutes: 60 } } })).status, 200);
    assert.equal((await h.req('DELETE', '/v1/tenants/beta', { token: beta })).status, 403);
  });

  test("a tenant's idempotency keys cannot replay another tenant's operation", async () => {
    const key = { 'idempotency-key': 'shared-key' };
    const a = await h.req('POST', '/v1/tenants/alpha/environments/prod:restart', { body: {}, headers: key });
    assert.equal(a.status, 202);
    const b = await h.req('POST', '/v1/tenants/beta/environments/prod:restart', { token: beta, body: {}, headers: key });
    assert.equal(b.status, 202);
    assert.notEqual(b.body.id, a.body.id);
    assert.equal(b.body.tenant, 'beta');
  });
});
