// GitOps delivery through the real engine and API and the REAL Argo CD of the testbed: an
// environment onboarded with delivery "gitops" is committed to the tenant's repo by the engine's
// GitOps driver, which also bootstraps the tenant's AppProject, ApplicationSets and repo credential
// on the Argo CD cluster (fp-1, FLEETPLANE_ARGOCD_CLUSTER in serve); Argo CD syncs it and the
// engine's verify reads the Application back, so it becomes Ready; a never-ready upgrade fails
// verification and the engine's rollback lands as a revert commit that Argo CD syncs before the
// environment is Ready again; offboarding the tenant removes the environment directory, Argo CD
// prunes its objects, and the repo is archived. Hibernation goes through Git too: `:hibernate` commits
// the revision held at zero (Argo CD syncs it and its selfHeal keeps it there), `:wake` commits it back.
// PostgreSQL + testbed cluster + Argo CD.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import type { Api as App } from '../../src/api/context.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { applicationName } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type GitRepoCredentials } from '../../testbed/index.ts';
import { readApp, withArgoLogs } from './argocd-support.ts';
import { release, setupFleet, uniqueSlug, waitFor, type Fleet } from './engine.fixture.ts';
import { git } from './gitops-support.ts';

let fleet: Fleet;
let app: App;
let engine: Engine;
let served: GitRepoCredentials;
const token = 'fpt_admin_gitops_engine_0123456789';
const tenant = uniqueSlug('ge');
const repo = () => served.path;

async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

const env = async () => (await call<Environment>('GET', `/v1/environments/${tenant}/prod`)).body;
const op = async (id: string) => (await call<Operation>('GET', `/v1/operations/${id}`)).body;

before(async () => {
  fleet = await setupFleet();
  const cluster = fleet.clusters[0]!;
  const argo = await argocdUp({ log: (l) => console.error(l) });
  assert.equal(argo.management.name, cluster.name, 'the environment runs on the Argo CD management cluster here');
  // The tenant repo lives where the testbed's git server serves it to Argo CD (read-only, per-repo Basic auth).
  served = await argocdGitRepo(tenant);
  await fleet.store.tokens.create({ name: 'test-admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(fleet.store, fleet.db.dataDir), { logger: false });
  await app.ready();
  const reg = await call('POST', '/v1/clusters', { name: cluster.name, provider: 'local', region: 'local', role: 'shared', apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8') });
  assert.ok(reg.status < 300, JSON.stringify(reg.body));
  for (const doc of [release('1.0.0'), release('1.1.0'), release('1.2.0', '1.2.0-never-ready')]) {
    const r = await call('POST', '/v1/blueprints', { name: 'demo-app', version: (doc.metadata as { version: string }).version, spec: doc });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  engine = await startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: `${tenant}-engine`, reconcileIntervalMs: 0, verifyTimeoutMs: 30_000, gitopsVerifyTimeoutMs: 30_000, verifyAttempts: 1, pollMs: 200,
    drivers: {
      gitops: createGitopsDriver({
        dataDir: fleet.db.dataDir, remoteTemplate: `${pathToFileURL(dirname(served.path)).href}/{tenant}.git`,
        argoTemplate: `${argo.gitURL}/{tenant}.git`, argocdNamespace: ARGOCD_NAMESPACE, argocdCluster: cluster.name,
      }, { audit: (e) => fleet.store.audit.append(e), repoCredentials: () => ({ username: served.username, password: served.password }) }),
    },
  });
});

after(async () => {
  await engine?.stop();
  await app?.close();
  const kube = fleet?.clusters[0]?.client();
  for (const ns of (await kube?.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': tenant } }).catch(() => [])) ?? []) {
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
  }
  if (served) await argocdRemoveGitRepo(tenant).catch(() => undefined);
  await fleet?.cleanup();
});

let onboardOp = '';

test('onboarding a gitops environment commits to the tenant repo and bootstraps Argo CD; Ready once Argo CD reports the commit Synced+Healthy', () => withArgoLogs(tenant, async () => {
  const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', {
    slug: tenant, name: tenant, tier: 'shared',
    environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', delivery: 'gitops', cluster: fleet.clusters[0]!.name }],
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  onboardOp = r.body.operations[0]!.id;
  const done = await waitFor('onboard finished', async () => {
    const o = await op(onboardOp);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 180_000, 1000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const e = await env();
  assert.equal(e.health, 'Ready');
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `onboard ${tenant}/prod: blueprint demo-app@1.0.0, revision ${e.appliedRevision}`);
  assert.match(git(repo(), 'log', '-1', '--format=%B', 'main'), new RegExp(`^Fleetplane-Operation: ${onboardOp}$`, 'm'));
  const files = git(repo(), 'ls-tree', '-r', '--name-only', 'main').trim().split('\n');
  assert.ok(files.includes('argocd/applicationset.yaml') && files.includes('environments/prod/revision.json'));
  assert.ok(files.some((f) => /^environments\/prod\/manifests\/\d+-deployment-web\.yaml$/.test(f)), files.join('\n'));
  const app = await readApp(fleet.clusters[0]!.client(), applicationName(tenant, 'prod'));
  assert.equal(app?.sync, 'Synced');
  assert.equal(app?.health, 'Healthy');
  assert.deepEqual(app?.revisions, [git(repo(), 'rev-parse', 'main').trim()], 'Argo CD synced the commit the engine pushed');
}));

test('a never-ready upgrade fails verification; the engine rolls back with a revert commit, Argo CD syncs it, the environment is Ready again', () => withArgoLogs(tenant, async () => {
  const before = git(repo(), 'rev-parse', 'main^{tree}').trim();
  const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:upgrade`, { version: '1.2.0' });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('upgrade finished', async () => {
    const o = await op(r.body.id);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 240_000, 1000);
  assert.equal(done.state, 'failed');
  const subjects = git(repo(), 'log', '--format=%s', '-2', 'main').trim().split('\n');
  assert.match(subjects[0]!, /^Revert "upgrade .*demo-app@1\.2\.0/);
  assert.match(subjects[1]!, /^upgrade .*demo-app@1\.2\.0/);
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), before, 'the revert restores the good tree');
  const e = await waitFor('Ready again', async () => { const x = await env(); return x.health === 'Ready' ? x : null; }, 120_000, 1000);
  assert.equal(e.version, '1.0.0');
  const app = await readApp(fleet.clusters[0]!.client(), applicationName(tenant, 'prod'));
  assert.deepEqual(app?.revisions, [git(repo(), 'rev-parse', 'main').trim()], 'Ready only after Argo CD synced the revert commit');
}));

test('the Git remote unavailable during a delivery: the step fails and is retried, and the upgrade lands exactly once when it is back', () => withArgoLogs(tenant, async () => {
  const away = `${repo()}.away`;
  await rename(repo(), away);
  let restored = false;
  try {
    const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:upgrade`, { version: '1.1.0' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const failedOnce = await waitFor('a failed deliver attempt', async () => {
      const o = await op(r.body.id);
      const step = o.steps.find((x) => x.name === 'deliver');
      return o.state === 'failed' || (step && step.attempts >= 1 && step.state !== 'succeeded' && step.error) ? o : null;
    }, 120_000, 200);
    assert.notEqual(failedOnce.state, 'failed', `retried, not failed for good: ${failedOnce.error ?? ''}`);
    const step = failedOnce.steps.find((x) => x.name === 'deliver')!;
    assert.match(String(step.error), /repository|clone|does not exist|not found/i, String(step.error));
    assert.match(String(step.message), /^unclassified: |transient/, 'classified as worth retrying');
    await rename(away, repo());
    restored = true;
    const done = await waitFor('upgrade finished', async () => {
      const o = await op(r.body.id);
      return o.state === 'succeeded' || o.state === 'failed' ? o : null;
    }, 240_000, 1000);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const commits = git(repo(), 'log', '--format=%H', `--grep=^Fleetplane-Operation: ${r.body.id}$`, 'main').trim().split('\n').filter(Boolean);
    assert.equal(commits.length, 1, 'one commit for the operation, however many attempts');
    const e = await env();
    assert.deepEqual([e.version, e.health], ['1.1.0', 'Ready']);
    const a = await readApp(fleet.clusters[0]!.client(), applicationName(tenant, 'prod'));
    assert.deepEqual(a?.revisions, [git(repo(), 'rev-parse', 'main').trim()]);
  } finally {
    if (!restored) await rename(away, repo()).catch(() => undefined);
  }
}));

test('hibernation in GitOps: :hibernate commits the revision held at zero and Argo CD syncs it; :wake commits it back, Ready', () => withArgoLogs(tenant, async () => {
  const kube = fleet.clusters[0]!.client();
  const ns = (await env()).placement.namespace;
  const replicas = async () => Object.fromEntries((await kube.list('apps/v1', 'Deployment', { namespace: ns })).map((d) => [d.metadata.name, (d.spec as { replicas?: number }).replicas ?? 1]));
  const awake = await replicas();
  assert.ok(Object.values(awake).every((n) => n > 0), JSON.stringify(awake));
  const settle = async (verb: 'hibernate' | 'wake') => {
    const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:${verb}`, { reason: 'gitops e2e' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const done = await waitFor(`${verb} finished`, async () => { const o = await op(r.body.id); return o.state === 'succeeded' || o.state === 'failed' ? o : null; }, 180_000, 1000);
    assert.equal(done.state, 'succeeded', done.error ?? '');
    const head = git(repo(), 'rev-parse', 'main').trim();
    const a = await readApp(kube, applicationName(tenant, 'prod'));
    assert.deepEqual([a?.sync, a?.revisions], ['Synced', [head]], `${verb}: Argo CD synced the commit the engine pushed`);
    return head;
  };

  const asleep = await settle('hibernate');
  assert.match(git(repo(), 'log', '-1', '--format=%s', asleep), /^hibernate /);
  const held = await replicas();
  assert.deepEqual(Object.keys(held).sort(), Object.keys(awake).sort());
  assert.ok(Object.values(held).every((n) => n === 0), `every Deployment at zero, from the cluster: ${JSON.stringify(held)}`);
  const committed = git(repo(), 'show', `${asleep}:environments/prod/manifests/${git(repo(), 'ls-tree', '--name-only', `${asleep}:environments/prod/manifests`).split('\n').find((f) => /deployment-web\.yaml$/.test(f))}`);
  assert.match(committed, /replicas: 0/, 'the repo says zero too, so selfHeal keeps it there');
  assert.equal((await env()).conditions.find((c) => c.type === 'Hibernated')?.status, 'True');

  const up = await settle('wake');
  assert.notEqual(up, asleep);
  assert.deepEqual(await replicas(), awake, 'every Deployment back at its replicas');
  const e = await env();
  assert.equal(e.health, 'Ready');
  assert.notEqual(e.conditions.find((c) => c.type === 'Hibernated')?.status, 'True');
}));

test('offboarding the tenant removes its environment directory, Argo CD prunes it, the repo is archived', () => withArgoLogs(tenant, async () => {
  const r = await call<Operation>('DELETE', `/v1/tenants/${tenant}`);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('offboard finished', async () => {
    const o = await op(r.body.id);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 120_000, 1000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const archive = join(fleet.db.dataDir, 'git', 'archive');
  const archived = readdirSync(archive).filter((f) => f.startsWith(`${tenant}-`));
  assert.equal(archived.length, 1);
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `offboard ${tenant}/prod`);
  const heads = execFileSync('git', ['bundle', 'list-heads', join(archive, archived[0]!)], { encoding: 'utf8' });
  assert.ok(heads.includes(`${git(repo(), 'rev-parse', 'main').trim()} refs/heads/main`), 'the bundle holds the last commit');
  const kube = fleet.clusters[0]!.client();
  assert.equal(await readApp(kube, applicationName(tenant, 'prod')), null, 'Argo CD deleted the Application');
  assert.equal(await kube.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: tenant }), null);
  const left = await kube.list('apps/v1', 'Deployment', { labelSelector: { 'fleetplane.io/tenant': tenant } });
  assert.deepEqual(left.map((d) => d.metadata.name), [], 'Argo CD pruned the Deployments');
  const audit = await fleet.store.audit.list({ tenant, limit: 50 });
  const entry = audit.items.find((a) => a.action === 'gitops.repo.archived');
  assert.ok(entry, JSON.stringify(audit.items.map((a) => a.action)));
  assert.equal((entry.detail as { archivedTo?: string }).archivedTo, join(archive, archived[0]!));
}));
