// Cluster lifecycle routes (src/api/routes/lifecycle.ts) on the real API and store: cordon keeps
// placement away, the preview explains every cluster and hides other tenants' dedicated clusters
// from a tenant, the version report flags an environment using an API the target removed, the
// upgrade pre-flight refuses it (nothing written), and plans pause/resume/abort by their machine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const cluster = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'aws', region: 'eu-west-1', apiServer: 'https://127.0.0.1:1', ...extra });

describe('cluster lifecycle API', () => {
  let h: Harness;
  let betaToken: string;

  before(async () => {
    // Per-tier placement policy (FLEETPLANE_PLACEMENT_POLICY=staging=cost): spread by default, cost for staging.
    h = await harness(BACKENDS[0]!, undefined, { placement: { policy: { default: 'spread', byType: { staging: 'cost' } }, cpuOvercommit: 2, memoryOvercommit: 1.5 } });
    await publishSample(h);
    for (const c of [
      cluster('cheap', { provider: 'azure', pricePerCpuHour: 0.02, pricePerGbHour: 0.002, kubernetesVersion: 'v1.36.3' }),
      cluster('pricey', { provider: 'gcp', pricePerCpuHour: 0.09, pricePerGbHour: 0.01, kubernetesVersion: 'v1.37.2' }),
      cluster('us-only', { region: 'us-east-1', pricePerCpuHour: 0.001, kubernetesVersion: 'v1.37.2' }),
      cluster('alpha-own', { role: 'dedicated:alpha', kubernetesVersion: 'v1.37.2' }),
    ]) assert.equal((await h.req('POST', '/v1/clusters', { body: c })).status, 201);
    for (const t of ['alpha', 'beta']) {
      const body = { ...tenantBody(t, ['prod']), labels: { 'fleetplane.io/residency': 'eu' } };
      assert.equal((await h.req('POST', '/v1/tenants', { body })).status, 202);
    }
    betaToken = (await h.req('POST', '/v1/tokens', { body: { name: 'beta', role: 'tenant-admin', tenant: 'beta' } })).body.secret;
  });
  after(async () => h?.close());

  test('placement preview: cost policy picks the cheapest eu cluster and explains every cluster; nothing is created', async () => {
    const ops = (await h.req('GET', '/v1/operations')).body.items.length;
    const res = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'beta', blueprint: 'demo-app', version: '1.0.0', type: 'prod', policy: 'cost', demand: { cpuMillis: 1000, memoryBytes: 2 ** 30 } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.cluster, 'cheap');
    assert.equal(res.body.policy, 'cost');
    assert.equal(res.body.policyFrom, 'request');
    assert.match(res.body.explanation, /cheapest/);
    const rejected = Object.fromEntries(res.body.rejected.map((r: { cluster: string; check: string }) => [r.cluster, r.check]));
    assert.deepEqual(rejected, { 'us-only': 'residency', 'alpha-own': 'role' });
    assert.deepEqual(res.body.eligible.map((e: { cluster: string }) => e.cluster), ['cheap', 'pricey']);
    assert.ok(res.body.eligible[0].parts.monthlyCost < res.body.eligible[1].parts.monthlyCost);
    assert.equal((await h.req('GET', '/v1/operations')).body.items.length, ops);
  });

  test('placement preview: the per-tier policy decides and is shown (staging on cost, prod on the default spread)', async () => {
    const demand = { cpuMillis: 1000, memoryBytes: 2 ** 30 };
    const staging = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'beta', type: 'staging', demand } });
    assert.equal(staging.status, 200, JSON.stringify(staging.body));
    assert.deepEqual([staging.body.cluster, staging.body.policy, staging.body.policyFrom], ['cheap', 'cost', 'environment type staging']);
    assert.match(staging.body.explanation, /cheapest .*\(policy cost for environment type staging\)$/);
    const prod = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'beta', type: 'prod', demand } });
    assert.deepEqual([prod.body.policy, prod.body.policyFrom], ['spread', 'default']);
    assert.match(prod.body.explanation, /fewest environments .*\(policy spread\)$/);
  });

  test('a tenant previews for itself only and never sees another tenant\'s dedicated cluster', async () => {
    const own = await h.req('POST', '/v1/placement:preview', { token: betaToken, body: { tenant: 'beta' } });
    assert.equal(own.status, 200);
    const names = [...own.body.eligible, ...own.body.rejected].map((e: { cluster: string }) => e.cluster);
    assert.ok(!names.includes('alpha-own'), `alpha's dedicated cluster is hidden: ${names.join(',')}`);
    assert.ok(names.includes('cheap'));
    const other = await h.req('POST', '/v1/placement:preview', { token: betaToken, body: { tenant: 'alpha' } });
    assert.equal(other.status, 404);
    // Alpha's own preview (admin) lands on its dedicated cluster.
    assert.equal((await h.req('POST', '/v1/placement:preview', { body: { tenant: 'alpha' } })).body.cluster, 'alpha-own');
  });

  test('cordon keeps new placements away until uncordoned', async () => {
    const c = await h.req('POST', '/v1/clusters/cheap:cordon', { body: { reason: 'evacuating for maintenance' } });
    assert.equal(c.status, 200);
    assert.equal(c.body.cordon.reason, 'evacuating for maintenance');
    const p = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'beta', policy: 'cost', demand: { cpuMillis: 500 } } });
    assert.equal(p.body.cluster, 'pricey');
    assert.equal(p.body.rejected.find((r: { cluster: string }) => r.cluster === 'cheap').reason, 'cordoned: evacuating for maintenance');
    assert.equal((await h.req('POST', '/v1/clusters/cheap:uncordon', { body: {} })).body.cordon, undefined);
    assert.equal((await h.req('POST', '/v1/clusters/ghost:cordon', { body: {} })).status, 404);
  });

  test('version report and upgrade pre-flight flag an environment using an API removed in the target', async () => {
    // beta/prod on "cheap" with a revision holding a policy/v1beta1 PodDisruptionBudget (removed in 1.25).
    const env = (await h.store.environments.get('beta', 'prod'))!;
    await h.store.revisions.save({
      id: 'r-old', tenant: 'beta', environment: 'prod', blueprint: 'demo-app', version: '1.0.0', helmValues: [],
      objects: [{ hash: 'x', object: { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'beta-prod' } } }],
    });
    await h.store.environments.update('beta', 'prod', { placement: { cluster: 'cheap', namespace: 'beta-prod' }, appliedRevision: 'r-old' }, env.resourceVersion);
    const rep = await h.req('GET', '/v1/fleet/versions?target=v1.37.2');
    assert.equal(rep.status, 200);
    assert.deepEqual(rep.body.byVersion['v1.36.3'], ['cheap']);
    const cheap = rep.body.clusters.find((c: { name: string }) => c.name === 'cheap');
    assert.ok(cheap.warnings.some((w: { kind: string }) => w.kind === 'behind-newest-minor'));
    assert.deepEqual(rep.body.removedApis, [{ tenant: 'beta', environment: 'prod', object: 'PodDisruptionBudget/web', apiVersion: 'policy/v1beta1', removedIn: '1.25', replacement: 'policy/v1' }]);
    const refused = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', clusters: ['cheap', 'pricey'] } });
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, /PodDisruptionBudget\/web.*policy\/v1beta1/);
    assert.equal((await h.req('GET', '/v1/cluster-upgrades')).body.items.length, 0, 'nothing written');
    assert.equal((await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.36.1', clusters: ['cheap'] } })).status, 400, 'downgrade refused');
    assert.equal((await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'latest' } })).body.errors?.[0]?.field ?? 'x', '/target');
  });

  test('an upgrade plan: canary first, waves across clouds, pause/resume/abort by its machine', async () => {
    const created = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', clusters: ['cheap', 'pricey'], force: true, approval: true } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const u = created.body;
    assert.deepEqual(u.plan.waves.map((w: Array<{ cluster: string }>) => w.map((s) => s.cluster)), [['cheap']]);
    assert.deepEqual(u.plan.skipped, [{ cluster: 'pricey', reason: 'already at v1.37.2' }]);
    assert.equal(u.state, 'running');
    assert.equal((await h.req('POST', `/v1/cluster-upgrades/${u.id}:resume`)).status, 409);
    assert.equal((await h.req('POST', `/v1/cluster-upgrades/${u.id}:pause`)).body.state, 'paused');
    assert.equal((await h.req('POST', `/v1/cluster-upgrades/${u.id}:resume`)).body.state, 'running');
    assert.equal((await h.req('POST', `/v1/cluster-upgrades/${u.id}:abort`)).body.state, 'aborted');
    assert.equal((await h.req('POST', `/v1/cluster-upgrades/${u.id}:abort`)).status, 409);
    assert.match((await h.req('GET', `/v1/cluster-upgrades/${u.id}`)).body.reason, /^aborted by /);
  });

  test('evacuation plan (dry run) places each environment elsewhere, explained', async () => {
    const res = await h.req('GET', '/v1/clusters/cheap/evacuation-plan');
    assert.equal(res.status, 200);
    assert.equal(res.body.dryRun, true);
    assert.equal(res.body.environments, 1);
    assert.equal(res.body.moves[0].environment, 'prod');
    assert.equal(res.body.moves[0].to, 'pricey');
    assert.ok(res.body.moves[0].rejected.some((r: { cluster: string; check: string }) => r.cluster === 'cheap' && r.check === 'anti-affinity'));
  });
});
