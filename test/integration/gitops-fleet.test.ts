// The fleet in GitOps mode through the REAL Argo CD (issue #13, "Done means"): 5 tenants x 2
// environments spread over the testbed clusters fp-1..fp-3, onboarded through the API and the engine
// (one call per tenant; the GitOps driver commits and bootstraps each tenant's AppProject and
// ApplicationSets on fp-1) to Ready, which the engine decides from the Applications' status; then
// every environment is upgraded by a release, one is rolled back (a revert commit Argo CD syncs),
// a hand-deleted Deployment is healed by Argo CD's selfHeal, and one tenant is offboarded (Argo CD
// prunes its objects; the others stay Synced). Asserted from the clusters and from the Applications;
// on a failure Argo CD's logs are kept as an artifact (the path is printed).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import type { Api as App } from '../../src/api/context.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { applicationName } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type GitRepoCredentials } from '../../testbed/index.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import { eventually, readApp, removeTenantFromArgo, uidOf, withArgoLogs } from './argocd-support.ts';
import { release, setupFleet, uniqueSlug, waitFor, type Fleet } from './engine.fixture.ts';
import { git } from './gitops-support.ts';

const TENANTS = Array.from({ length: 5 }, (_, i) => uniqueSlug(`gf${i}`));
const ENVS = ['prod', 'staging'] as const;
const token = 'fpt_admin_gitops_fleet_0123456789ab';
let fleet: Fleet;
let app: App;
let engine: Engine;
let mgmt: KubeClient;
const served: Record<string, GitRepoCredentials> = {};
const firstRevision: Record<string, string> = {};
const all = TENANTS.flatMap((t) => ENVS.map((e) => ({ tenant: t, env: e })));

async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

const envOf = async (t: string, e: string) => (await call<Environment>('GET', `/v1/environments/${t}/${e}`)).body;

async function finished(ids: string[], timeoutMs = 600_000): Promise<Operation[]> {
  return waitFor(`${ids.length} operations finished`, async () => {
    const ops = await Promise.all(ids.map(async (id) => (await call<Operation>('GET', `/v1/operations/${id}`)).body));
    return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
  }, timeoutMs, 2000);
}

const kubeFor = (cluster: string) => fleet.clusters.find((c) => c.name === cluster)!.client();
const head = (t: string) => git(served[t]!.path, 'rev-parse', 'main').trim();

before(async () => {
  fleet = await setupFleet();
  assert.ok(fleet.clusters.length >= 3, 'needs the 3 testbed clusters');
  const argo = await argocdUp({ log: (l) => console.error(l) });
  mgmt = fleet.clusters.find((c) => c.name === argo.management.name)!.client();
  for (const t of TENANTS) served[t] = await argocdGitRepo(t);
  await fleet.store.tokens.create({ name: 'test-admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(fleet.store, fleet.db.dataDir), { logger: false });
  await app.ready();
  for (const c of fleet.clusters.slice(0, 3)) {
    const r = await call('POST', '/v1/clusters', { name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  for (const doc of [release('1.0.0'), release('1.1.0')]) {
    const r = await call('POST', '/v1/blueprints', { name: 'demo-app', version: (doc.metadata as { version: string }).version, spec: doc });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  const anyRepo = served[TENANTS[0]!]!.path;
  engine = await startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: 'gitops-fleet-engine', reconcileIntervalMs: 0, verifyTimeoutMs: 300_000, verifyAttempts: 1, pollMs: 200,
    drivers: {
      gitops: createGitopsDriver({
        dataDir: fleet.db.dataDir, remoteTemplate: `${pathToFileURL(dirname(anyRepo)).href}/{tenant}.git`,
        argoTemplate: `${argo.gitURL}/{tenant}.git`, argocdNamespace: ARGOCD_NAMESPACE, argocdCluster: argo.management.name,
      }, { repoCredentials: (t) => (served[t] ? { username: served[t].username, password: served[t].password } : null) }),
    },
  });
});

after(async () => {
  await engine?.stop();
  await app?.close();
  for (const t of TENANTS) {
    for (const c of fleet?.clusters.slice(0, 3) ?? []) {
      for (const ns of (await c.client().list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': t } }).catch(() => [])) ?? []) {
        await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
      }
    }
    if (mgmt) await removeTenantFromArgo(mgmt, t);
    if (served[t]) await argocdRemoveGitRepo(t).catch(() => undefined);
  }
  await fleet?.cleanup();
});

test('5 tenants x 2 environments over fp-1..fp-3 onboard through Argo CD to Ready, each Application Synced+Healthy at its repo HEAD', () => withArgoLogs('fleet', async () => {
  const ops: string[] = [];
  for (const [i, t] of TENANTS.entries()) {
    const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', {
      slug: t, name: t, tier: 'shared',
      environments: ENVS.map((e, j) => ({ name: e, type: e, blueprint: 'demo-app', version: '1.0.0', delivery: 'gitops', cluster: fleet.clusters[(2 * i + j) % 3]!.name })),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ops.push(...r.body.operations.map((o) => o.id));
  }
  const done = await finished(ops);
  assert.deepEqual(done.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}/${o.environment}: ${o.error}`), []);
  const placed = new Set<string>();
  for (const { tenant, env } of all) {
    const e = await envOf(tenant, env);
    assert.equal(e.health, 'Ready', `${tenant}/${env}`);
    firstRevision[`${tenant}/${env}`] = e.appliedRevision!;
    placed.add(e.placement.cluster);
    const a = await readApp(mgmt, applicationName(tenant, env));
    assert.deepEqual([a?.sync, a?.health], ['Synced', 'Healthy'], `${tenant}/${env}`);
    const d = await kubeFor(e.placement.cluster).get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'web' });
    assert.equal(d?.metadata.labels?.['fleetplane.io/revision'], e.appliedRevision, 'the delivered revision is on the cluster');
    assert.match(d?.metadata.annotations?.['argocd.argoproj.io/tracking-id'] ?? '', new RegExp(`^${applicationName(tenant, env)}:`), 'applied by Argo CD');
  }
  assert.equal(placed.size, 3, 'spread over the three clusters');
}));

test('every environment is upgraded by a release; Ready only once Argo CD synced the new commit', () => withArgoLogs('fleet', async () => {
  const ops: string[] = [];
  for (const { tenant, env } of all) {
    const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/${env}:upgrade`, { version: '1.1.0' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ops.push(r.body.id);
  }
  const done = await finished(ops);
  assert.deepEqual(done.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}/${o.environment}: ${o.error}`), []);
  for (const t of TENANTS) {
    for (const env of ENVS) {
      const e = await envOf(t, env);
      assert.deepEqual([e.version, e.health], ['1.1.0', 'Ready']);
      const a = await readApp(mgmt, applicationName(t, env));
      assert.equal(a?.sync, 'Synced');
      const d = await kubeFor(e.placement.cluster).get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'web' });
      assert.equal(d?.metadata.labels?.['fleetplane.io/revision'], e.appliedRevision);
    }
    // The app synced a commit with prod's current manifests. Not necessarily HEAD: the tenant's staging
    // commit may land after it, and Argo CD refreshes prod for it only on its next poll.
    const [synced] = (await readApp(mgmt, applicationName(t, 'prod')))?.revisions ?? [];
    assert.ok(synced, 'the prod app synced a commit');
    assert.doesNotThrow(() => git(served[t]!.path, 'merge-base', '--is-ancestor', synced!, head(t)), 'the synced commit is on main');
    assert.equal(git(served[t]!.path, 'rev-parse', `${synced}:environments/prod`).trim(), git(served[t]!.path, 'rev-parse', 'main:environments/prod').trim(), "prod's manifests at the synced commit are those at HEAD");
  }
}));

test('one environment is rolled back to its 1.0.0 revision: a revert commit, synced by Argo CD', () => withArgoLogs('fleet', async () => {
  const [t, env] = [TENANTS[1]!, 'prod'];
  const r = await call<Operation>('POST', `/v1/tenants/${t}/environments/${env}:rollback`, { revision: firstRevision[`${t}/${env}`] });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const [done] = await finished([r.body.id]);
  assert.equal(done!.state, 'succeeded', done!.error ?? '');
  assert.match(git(served[t]!.path, 'log', '-1', '--format=%s', 'main'), /^Revert "upgrade /);
  const e = await envOf(t, env);
  assert.deepEqual([e.version, e.health], ['1.0.0', 'Ready']);
  assert.deepEqual((await readApp(mgmt, applicationName(t, env)))?.revisions, [head(t)], 'Argo CD synced the revert commit');
  const d = await kubeFor(e.placement.cluster).get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'web' });
  assert.equal(d?.metadata.labels?.['fleetplane.io/revision'], e.appliedRevision);
  assert.equal((await envOf(t, 'staging')).version, '1.1.0', 'the other environment is untouched');
}));

test('a hand-deleted Deployment is healed by Argo CD selfHeal', () => withArgoLogs('fleet', async () => {
  const e = await envOf(TENANTS[2]!, 'staging');
  const kube = kubeFor(e.placement.cluster);
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'web' };
  const before = uidOf(await kube.get(ref));
  assert.ok(before);
  await kube.delete(ref);
  const back = await eventually('Deployment re-created by Argo CD', async () => {
    const d = await kube.get(ref);
    return d && uidOf(d) !== before && !d.metadata.deletionTimestamp ? d : null;
  });
  assert.equal(back.metadata.labels?.['fleetplane.io/revision'], e.appliedRevision);
  await eventually('Application Synced+Healthy again', async () => {
    const a = await readApp(mgmt, applicationName(TENANTS[2]!, 'staging'));
    return a?.sync === 'Synced' && a.health === 'Healthy';
  });
}));

test('offboarding one tenant: Argo CD prunes both its environments, its Argo CD objects go, the others stay Synced', () => withArgoLogs('fleet', async () => {
  const gone = TENANTS[4]!;
  const placements = await Promise.all(ENVS.map(async (env) => (await envOf(gone, env)).placement));
  const r = await call<Operation>('DELETE', `/v1/tenants/${gone}`);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const [done] = await finished([r.body.id]);
  assert.equal(done!.state, 'succeeded', done!.error ?? '');
  for (const env of ENVS) assert.equal(await readApp(mgmt, applicationName(gone, env)), null, `${gone}/${env} Application deleted`);
  assert.equal(await mgmt.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: gone }), null);
  for (const p of placements) {
    await eventually(`${p.cluster}/${p.namespace} pruned`, async () => (await kubeFor(p.cluster).get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: p.namespace, name: 'web' })) === null);
  }
  for (const t of TENANTS.slice(0, 4)) {
    for (const env of ENVS) {
      const a = await readApp(mgmt, applicationName(t, env));
      assert.deepEqual([a?.sync, a?.health], ['Synced', 'Healthy'], `${t}/${env} untouched`);
    }
  }
}));
