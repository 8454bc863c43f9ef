// One tenant through the engine on a real `serve` process, PostgreSQL and a testbed cluster:
// onboard -> bad release rolled back automatically -> drift healed (deleted Deployment, edited
// replicas) -> offboard refused while held by a rollout -> offboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Operation, Environment } from '../../src/domain/types.ts';
import { KubeClient } from '../../src/adapters/kube/index.ts';
import { api, prepareFleet, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
let kube: KubeClient;
const tenant = uniqueSlug('life');
const ns = (): string => `${tenant}-prod`;

before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, {
    workerId: 'life-1',
    // Verify's budget is wall time: 8 s failed a good restart at load 16 (2 cores). The never-ready patch
    // below waits it out once, so a generous budget costs one wait, not flakiness.
    env: { FLEETPLANE_VERIFY_TIMEOUT: '60s', FLEETPLANE_RECONCILE_INTERVAL: '3s', FLEETPLANE_RETRY_BASE_MS: '300', FLEETPLANE_LEASE_MS: '10000' },
  });
  client = api(serve.url, fleet.adminToken);
  // One cluster is enough here: place the environment explicitly.
  await prepareFleet(client, fleet.clusters.slice(0, 1));
  kube = fleet.clusters[0]!.client();
});

after(async () => {
  await serve?.kill('SIGTERM');
  await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns() }).catch(() => false);
  await fleet?.cleanup();
});

async function operation(id: string): Promise<Operation> {
  const op = await fleet.store.operations.get(id);
  assert.ok(op, `operation ${id} exists`);
  return op;
}

const finished = (id: string) => async () => {
  const op = await operation(id);
  return op.state === 'succeeded' || op.state === 'failed' ? op : null;
};

async function env(): Promise<Environment> {
  const e = await fleet.store.environments.get(tenant, 'prod');
  assert.ok(e);
  return e;
}

const deployment = (name: string) => kube.get<KubeObject & { spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } }>(
  { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name });

let goodRevision = '';

test('onboarding through the API ends Ready with the revision applied', async () => {
  const r = await client.call<{ operations: Operation[] }>('POST', '/v1/tenants', {
    slug: tenant, name: 'Lifecycle Inc', tier: 'shared',
    environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: fleet.clusters[0]!.name }],
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const [op] = (await fleet.store.operations.list({ tenant, limit: 10 })).items;
  const done = await waitFor('onboard to finish', finished(op!.id), 120_000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  assert.deepEqual(done.steps.map((s) => `${s.name}:${s.state}`), ['place:succeeded', 'render:succeeded', 'deliver:succeeded', 'verify:succeeded', 'record:succeeded']);
  const e = await env();
  assert.equal(e.health, 'Ready');
  assert.ok(e.appliedRevision);
  assert.equal(e.lastGoodRevision, e.appliedRevision);
  assert.equal(e.conditions.find((c) => c.type === 'Ready')?.status, 'True');
  goodRevision = e.appliedRevision;
  const web = await deployment('web');
  assert.equal(web?.metadata.labels?.['fleetplane.io/revision'], goodRevision);
  const inv = await fleet.store.queue.inventory(tenant, 'prod');
  assert.equal(inv.revision, goodRevision);
  assert.ok(inv.objects.some((o) => o.kind === 'Deployment' && o.name === 'web'));
});

test('a bad release is rolled back to the last good revision with the cluster\'s reason', async (t) => {
  const r = await client.call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:patch`, { image: { component: 'web', tag: 'never-ready' } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('bad patch to fail', finished(r.body.id), 180_000);
  assert.equal(done.state, 'failed');
  assert.match(done.error ?? '', /pod web-.*|not ready/i);
  t.diagnostic(`operation error: ${done.error}`);
  assert.equal(done.result?.rolledBackTo, goodRevision);
  assert.equal(done.result?.rollbackReady, true);
  const e = await env();
  assert.equal(e.health, 'Ready');
  assert.equal(e.appliedRevision, goodRevision);
  assert.equal(e.conditions.find((c) => c.type === 'Ready')?.reason, 'RolledBack');
  const web = await deployment('web');
  assert.ok(!web!.spec.template.spec.containers.some((c) => c.image.includes('never-ready')), 'web image is back to the good one');
  assert.equal(web!.metadata.labels?.['fleetplane.io/revision'], goodRevision);
  const runs = await fleet.store.queue.stepRuns(r.body.id);
  assert.equal(runs.filter((x) => x.step === 'verify' && x.state === 'failed').length, 2, 'verify was retried once before rolling back');
});

test('a deleted Deployment is recreated by the reconcile loop', async (t) => {
  const t0 = Date.now();
  assert.ok(await kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns(), name: 'web' }));
  const back = await waitFor('web to be recreated', async () => {
    const d = await deployment('web');
    return d && !d.metadata.deletionTimestamp ? d : null;
  }, 60_000);
  t.diagnostic(`recreated after ${Date.now() - t0} ms (reconcile interval 3000 ms)`);
  assert.equal(back.metadata.labels?.['fleetplane.io/revision'], goodRevision);
  const heal = (await fleet.store.operations.list({ tenant, limit: 50 })).items.filter((o) => o.kind === 'reconfigure' && o.params.trigger === 'drift');
  assert.ok(heal.length >= 1, 'healed through a reconfigure operation');
});

test('replicas edited by hand are reset', async (t) => {
  const want = (await deployment('worker'))!.spec.replicas;
  await kube.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker', namespace: ns() }, spec: { replicas: want + 3 } }, { fieldManager: 'kubectl-edit', force: true });
  assert.equal((await deployment('worker'))!.spec.replicas, want + 3);
  const t0 = Date.now();
  await waitFor('worker replicas to be reset', async () => (await deployment('worker'))!.spec.replicas === want, 60_000);
  t.diagnostic(`replicas reset after ${Date.now() - t0} ms (reconcile interval 3000 ms)`);
  await waitFor('environment Ready again', async () => (await env()).health === 'Ready' && (await fleet.store.queue.busy(tenant, 'prod')) === false, 60_000);
});

test('a restart rolls the pods of one component without changing the revision', async () => {
  const r = await client.call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:restart`, { component: 'web' });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('restart to finish', finished(r.body.id), 120_000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const web = (await deployment('web')) as KubeObject & { spec: { template: { metadata?: { annotations?: Record<string, string> } } } };
  assert.ok(web.spec.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'pod template stamped');
  assert.equal((await env()).appliedRevision, goodRevision);
});

test('offboarding is refused while a rollout holds the environment, then removes everything', async () => {
  assert.equal(await fleet.store.rollouts.hold('rollout-test', tenant, 'prod'), 'held');
  const refused = await client.call<Operation>('DELETE', `/v1/tenants/${tenant}`);
  assert.equal(refused.status, 202, JSON.stringify(refused.body));
  const r1 = await waitFor('held offboard to fail', finished(refused.body.id), 60_000);
  assert.equal(r1.state, 'failed');
  assert.match(r1.error ?? '', /held by a rollout/);
  assert.ok(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns() }), 'nothing removed');
  const held = await env();
  assert.equal(held.health, 'Ready', 'a refused offboard leaves the environment running');
  assert.equal(held.conditions.find((c) => c.type === 'Ready')?.reason, 'OffboardRefused');
  await fleet.store.rollouts.release('rollout-test', { tenant, environment: 'prod' });
  const again = await client.call<Operation>('DELETE', `/v1/tenants/${tenant}`);
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.notEqual(again.body.id, refused.body.id);
  const r2 = await waitFor('offboard to finish', finished(again.body.id), 120_000);
  assert.equal(r2.state, 'succeeded', r2.error ?? '');
  assert.equal((await env()).health, 'Deleted');
  const gone = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns() });
  assert.ok(!gone || gone.metadata.deletionTimestamp, 'namespace deleted or terminating');
  const { rows } = await fleet.store.db.query<{ action: string }>('SELECT action FROM audit_log WHERE tenant = $1 ORDER BY seq', [tenant]);
  assert.ok(rows.some((r) => r.action === 'tenant.offboarded'), JSON.stringify(rows));
  assert.ok(rows.some((r) => r.action === 'environment.rolled-back'));
});
