// GitOps on a real testbed cluster: the AppProject/ApplicationSet are accepted by a kube-apiserver
// with the Argo CD CRDs (strict field validation, dry run and a real create); a delivery committed to
// the tenant repo and synced by the Argo CD stand-in (test helper) becomes Ready; a never-ready
// release is reported with the pod's reason and rolled back by a revert commit; offboarding removes
// the environment. Needs the testbed: npm run testbed -- up --clusters 3
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { argoSync, recordApplication } from './gitops-argocd-stand-in.ts';
import { git, makeContext, makeRevision, SECRET_VALUE, testClusterClient } from './gitops-support.ts';

const tenant = `gt${randomBytes(3).toString('hex')}`;
const namespace = `${tenant}-prod`;
let cluster: TestCluster;
let kube: KubeClient;
let dataDir: string;
let repos: GitRepos;
let driver: GitopsDriver;
const repo = () => join(dataDir, 'git', `${tenant}.git`);
const ctx = (kind: string) => makeContext({ tenant, env: 'prod', namespace, cluster, kube: testClusterClient(cluster.name, kube), kind, opId: `op-${kind}` });
const sync = () => argoSync({ repo: repo(), tenant, kube, server: cluster.apiServer });
const ARGO = (kind: string, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: 'argocd', name });

const good = makeRevision({ tenant, environment: 'prod', namespace, version: '1.4.0', replicas: 2, withSecret: true });
const bad = makeRevision({ tenant, environment: 'prod', namespace, version: '1.5.0', replicas: 2, withSecret: true, image: 'registry.example/web:1.5.0-never-ready' });

before(async () => {
  cluster = (await getTestbed()).clusters[0]!;
  kube = cluster.client();
  dataDir = await mkdtemp(join(tmpdir(), 'fp-gitops-e2e-'));
  repos = new GitRepos({ dataDir });
  driver = new GitopsDriver({ repos });
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } }, { fieldManager: 'fleetplane-tests' });
});

after(async () => {
  for (const [kind, name] of [['Application', `${tenant}-prod`], ['ApplicationSet', tenant], ['ApplicationSet', `${tenant}-charts`], ['AppProject', tenant]] as const) {
    await kube?.delete(ARGO(kind, name)).catch(() => undefined);
  }
  await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('delivery: commit, the stand-in syncs HEAD, the environment becomes Ready; the Secret is in the cluster only', async () => {
  const res = await driver.deliver(ctx('onboard'), good);
  const synced = await sync();
  assert.equal(synced.commit, res.detail?.commit);
  assert.deepEqual(synced.applied, ['Namespace/' + namespace, 'Deployment/web', 'Service/web']);
  const v = await driver.verify(ctx('onboard'), good, { timeoutMs: 90_000, pollIntervalMs: 500 });
  assert.deepEqual(v, { ready: true });
  const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }) as (KubeObject & { data?: Record<string, string> }) | null;
  assert.equal(Buffer.from(secret?.data?.password ?? '', 'base64').toString(), SECRET_VALUE);
  assert.ok(!git(repo(), 'log', '-p', '--all').includes(SECRET_VALUE));
});

test('the committed AppProject and ApplicationSet are valid for a real kube-apiserver with the Argo CD CRDs', async () => {
  for (const file of ['argocd/appproject.yaml', 'argocd/applicationset.yaml', 'argocd/applicationset-charts.yaml']) {
    const obj = parse(git(repo(), 'show', `main:${file}`)) as KubeObject;
    await kube.apply(obj, { dryRun: true }); // strict field validation: unknown fields would fail
    const tampered = { ...obj, spec: { ...(obj.spec as object), notAField: true } };
    await assert.rejects(kube.apply(tampered, { dryRun: true }), /notAField|unknown field/i, `${file}: strict validation is on`);
    const created = await kube.apply(obj);
    assert.deepEqual(created.spec, obj.spec, `${file} stored as committed`);
  }
  const appset = await kube.get(ARGO('ApplicationSet', tenant)) as KubeObject & { spec: { template: { spec: { syncPolicy: { syncOptions: string[] } } } } };
  assert.ok(appset.spec.template.spec.syncPolicy.syncOptions.includes('ServerSideApply=true'));
  const charts = await kube.get(ARGO('ApplicationSet', `${tenant}-charts`)) as KubeObject & { spec: { generators: Array<{ list: { elements: Array<Record<string, string>> } }> } };
  assert.deepEqual(charts.spec.generators[0]!.list.elements.map((e) => `${e.environment}/${e.component}: ${e.chart}@${e.chartVersion}`), ['prod/cache: redis@20.6.2']);
});

test('health is also read from the Argo CD Application status when present', async () => {
  const commit = git(repo(), 'rev-parse', 'main').trim();
  const health = await recordApplication({ tenant, env: 'prod', kube, namespace, commit, repoURL: repos.repoURL(tenant), server: cluster.apiServer });
  assert.equal(health, 'Healthy');
  assert.deepEqual(await driver.verify(ctx('onboard'), good, { timeoutMs: 10_000, pollIntervalMs: 500 }), { ready: true });
  await recordApplication({ tenant, env: 'prod', kube, namespace, commit, repoURL: repos.repoURL(tenant), server: cluster.apiServer, sync: 'OutOfSync' });
  const v = await driver.verify(ctx('onboard'), good, { timeoutMs: 1_500, pollIntervalMs: 500 });
  assert.equal(v.ready, false);
  assert.match(v.message ?? '', /OutOfSync/);
  await kube.delete(ARGO('Application', `${tenant}-prod`));
});

test('drift (a hand edit of replicas) is reported; the next Argo CD sync heals it', async () => {
  assert.deepEqual(await driver.drift(ctx('reconfigure'), good), { drifted: false, items: [] });
  await kube.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace }, spec: { replicas: 5 } }, { fieldManager: 'kubectl-edit', force: true });
  const report = await driver.drift(ctx('reconfigure'), good);
  assert.equal(report.drifted, true);
  assert.deepEqual(report.items.map((i) => [i.ref.kind, i.kind, i.fields]), [['Deployment', 'changed', ['spec.replicas']]]);
  await sync();
  assert.equal((await driver.drift(ctx('reconfigure'), good)).drifted, false);
});

test('a never-ready release is reported with the pod\'s reason; rollback is a revert commit and the environment is Ready again', async () => {
  const goodTree = git(repo(), 'rev-parse', 'main^{tree}').trim();
  const up = await driver.deliver(ctx('upgrade'), bad, { revision: good, inventory: [] });
  await sync();
  const v = await driver.verify(ctx('upgrade'), bad, { timeoutMs: 8_000, pollIntervalMs: 500 });
  assert.equal(v.ready, false);
  assert.equal(v.reason, 'Timeout');
  assert.equal(v.failing?.[0]?.ref.name, 'web');
  assert.match(v.message ?? '', /web: .*pod /);
  const rb = await driver.rollback(ctx('rollback'), good, { revision: bad, inventory: up.inventory });
  assert.equal(rb.detail?.reverted, up.detail?.commit);
  assert.match(git(repo(), 'log', '-1', '--format=%s', 'main'), /^Revert "upgrade /);
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), goodTree);
  await sync();
  assert.deepEqual(await driver.verify(ctx('rollback'), good, { timeoutMs: 90_000, pollIntervalMs: 500 }), { ready: true });
});

test('offboard: the environment directory goes, the stand-in deletes its namespace, the repo is archived', async () => {
  const res = await driver.remove(ctx('offboard'), [{ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }]);
  assert.match(String(res.detail?.archivedTo), new RegExp(`/git/archive/${tenant}-\\d{8}T\\d{6}Z\\.git$`));
  const archived = String(res.detail?.archivedTo);
  assert.equal(git(archived, 'log', '-1', '--format=%s', 'main').trim(), `offboard ${tenant}/prod`);
  const synced = await argoSync({ repo: archived, tenant, kube, server: cluster.apiServer });
  assert.deepEqual(synced.removedNamespaces, [namespace]);
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }).then((s) => s?.metadata.deletionTimestamp ? null : s), null);
});
