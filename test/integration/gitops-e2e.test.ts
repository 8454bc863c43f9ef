// GitOps on the testbed with the REAL Argo CD (npm run testbed -- argocd up; started when not
// running): the AppProject/ApplicationSets the driver commits are accepted by a kube-apiserver with
// Argo CD v3.6.1's CRDs (strict field validation) exactly as the driver bootstrapped them; a delivery
// becomes Ready once Argo CD reports it (its Secret reaches the cluster, never Git); a hand edit is
// healed by Argo CD's selfHeal; a never-ready release is reported with Argo CD's and the pod's
// reasons and rolled back by a revert commit that Argo CD syncs; offboarding prunes and archives.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { LABELS, type KubeObject } from '../../src/domain/types.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { applicationName, chartApplicationSetName } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type GitRepoCredentials } from '../../testbed/index.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { eventually, readApp, withArgoLogs } from './argocd-support.ts';
import { git, makeContext, makeRevision, SECRET_VALUE, testClusterClient } from './gitops-support.ts';

const tenant = `gt${randomBytes(3).toString('hex')}`;
const namespace = `${tenant}-prod`;
let cluster: TestCluster;
let kube: KubeClient;
let dataDir: string;
let served: GitRepoCredentials;
let driver: GitopsDriver;
const repo = () => served.path;
const ctx = (kind: string) => makeContext({ tenant, env: 'prod', namespace, cluster, kube: testClusterClient(cluster.name, kube), kind, opId: `op-${kind}` });
const ARGO = (kind: string, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: ARGOCD_NAMESPACE, name });
const VERIFY = { timeoutMs: 240_000, pollIntervalMs: 1000 };

// No chart component here (the chart path is argocd-gitops.test.ts): only the environment's own Application.
const noChart = (r: ReturnType<typeof makeRevision>) => ({ ...r, helmValues: [] });
const good = noChart(makeRevision({ tenant, environment: 'prod', namespace, version: '1.4.0', replicas: 2, withSecret: true }));
const bad = noChart(makeRevision({ tenant, environment: 'prod', namespace, version: '1.5.0', replicas: 2, withSecret: true, image: 'registry.example/web:1.5.0-never-ready' }));

before(async () => {
  cluster = (await getTestbed()).clusters[0]!;
  kube = cluster.client();
  await argocdUp({ log: (l) => console.error(l) });
  served = await argocdGitRepo(tenant);
  dataDir = await mkdtemp(join(tmpdir(), 'fp-gitops-e2e-'));
  const repos = new GitRepos({ dataDir, remoteFor: () => ({ url: pathToFileURL(served.path).href, argoURL: served.url }) });
  const argo = testClusterClient(cluster.name, kube);
  driver = new GitopsDriver({ repos, argocdNamespace: ARGOCD_NAMESPACE, argoKube: () => argo, repoCredentials: () => ({ username: served.username, password: served.password }) });
});

after(async () => {
  for (const [kind, name] of [['ApplicationSet', tenant], ['ApplicationSet', chartApplicationSetName(tenant)], ['AppProject', tenant]] as const) {
    await kube?.delete(ARGO(kind, name)).catch(() => undefined);
  }
  await kube?.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${tenant}` }).catch(() => undefined);
  await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  if (served) await argocdRemoveGitRepo(tenant).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('delivery: commit + bootstrap, Argo CD syncs, verify Ready; the Secret is in the cluster only', () => withArgoLogs(tenant, async () => {
  const res = await driver.deliver(ctx('onboard'), good);
  assert.deepEqual(await driver.verify(ctx('onboard'), good, VERIFY), { ready: true });
  assert.deepEqual((await readApp(kube, applicationName(tenant, 'prod')))?.revisions, [res.detail?.commit]);
  const secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }) as (KubeObject & { data?: Record<string, string> }) | null;
  assert.equal(Buffer.from(secret?.data?.password ?? '', 'base64').toString(), SECRET_VALUE);
  assert.ok(!git(repo(), 'log', '-p', '--all').includes(SECRET_VALUE));
}));

test('the committed AppProject and ApplicationSets pass strict validation against Argo CD v3.6.1 CRDs and are what was bootstrapped', async () => {
  for (const file of ['argocd/appproject.yaml', 'argocd/applicationset.yaml', 'argocd/applicationset-charts.yaml']) {
    const obj = parse(git(repo(), 'show', `main:${file}`)) as KubeObject;
    await kube.apply(obj, { dryRun: true, fieldManager: 'fleetplane-gitops' }); // strict field validation: unknown fields would fail
    const tampered = { ...obj, spec: { ...(obj.spec as object), notAField: true } };
    await assert.rejects(kube.apply(tampered, { dryRun: true }), /notAField|unknown field/i, `${file}: strict validation is on`);
    const live = await kube.get(ARGO(obj.kind, obj.metadata.name));
    assert.deepEqual(live?.spec, obj.spec, `${file} bootstrapped as committed`);
  }
});

test('drift (a hand edit of replicas) is healed by Argo CD selfHeal; nothing is reported afterwards', () => withArgoLogs(tenant, async () => {
  assert.deepEqual(await driver.drift(ctx('reconfigure'), good), { drifted: false, items: [] });
  await kube.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace }, spec: { replicas: 5 } }, { fieldManager: 'kubectl-edit', force: true });
  await eventually('replicas healed back to 2', async () => ((await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }))?.spec as { replicas: number }).replicas === 2);
  await eventually('no drift left', async () => !(await driver.drift(ctx('reconfigure'), good)).drifted);
}));

test("a never-ready release is reported with Argo CD's and the pod's reasons; rollback is a revert commit Argo CD syncs", () => withArgoLogs(tenant, async () => {
  const goodTree = git(repo(), 'rev-parse', 'main^{tree}').trim();
  const up = await driver.deliver(ctx('upgrade'), bad, { revision: good, inventory: [] });
  await eventually('Argo CD synced the bad commit', async () => (await readApp(kube, applicationName(tenant, 'prod')))?.revisions.includes(String(up.detail?.commit)));
  // The Application names the commit as soon as Argo CD compares it, before its sync applies it; under
  // load that apply can take longer than the verify window below. Wait for it to reach the Deployment
  // and for a pod of the bad release to exist, so the window measures readiness, not Argo CD's queue.
  const badRevision = bad.objects.find((o) => o.object.kind === 'Deployment')?.object.metadata.labels?.[LABELS.revision];
  assert.ok(badRevision, 'the bad release labels its Deployment with its revision');
  await eventually('Argo CD applied the bad release to the Deployment', async () =>
    (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }))?.metadata.labels?.[LABELS.revision] === badRevision, { timeoutMs: 180_000 });
  await eventually('a pod of the bad release exists', async () =>
    (await kube.list('v1', 'Pod', { namespace })).some((p) => JSON.stringify((p.spec as { containers?: unknown })?.containers ?? []).includes('never-ready')), { timeoutMs: 120_000 });
  const v = await driver.verify(ctx('upgrade'), bad, { timeoutMs: 8_000, pollIntervalMs: 500 });
  assert.equal(v.ready, false);
  assert.equal(v.reason, 'Timeout');
  assert.equal(v.failing?.[0]?.ref.name, 'web');
  assert.match(v.message ?? '', /^(Argo CD: sync \w+, health \w+; )?web: .*pod web-[a-z0-9-]+: /, 'Argo CD (while it is not Synced+Healthy), then the Deployment and its pod');
  const rb = await driver.rollback(ctx('rollback'), good, { revision: bad, inventory: up.inventory });
  assert.equal(rb.detail?.reverted, up.detail?.commit);
  assert.match(git(repo(), 'log', '-1', '--format=%s', 'main'), /^Revert "upgrade /);
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), goodTree);
  assert.deepEqual(await driver.verify(ctx('rollback'), good, VERIFY), { ready: true });
  assert.deepEqual((await readApp(kube, applicationName(tenant, 'prod')))?.revisions, [rb.detail?.commit]);
}));

test('offboard: the directory goes, Argo CD prunes its objects, the driver deletes the namespace, the Argo CD objects go, the repo is archived', () => withArgoLogs(tenant, async () => {
  const res = await driver.remove(ctx('offboard'), [{ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }]);
  assert.match(String(res.detail?.archivedTo), new RegExp(`/git/archive/${tenant}-\\d{8}T\\d{6}Z\\.bundle$`));
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `offboard ${tenant}/prod`);
  assert.ok(execFileSync('git', ['bundle', 'list-heads', String(res.detail?.archivedTo)], { encoding: 'utf8' }).includes('refs/heads/main'));
  assert.equal(await readApp(kube, applicationName(tenant, 'prod')), null);
  assert.equal(await kube.get(ARGO('AppProject', tenant)), null);
  await eventually('namespace deleted (by the driver: the Namespace is a guard rail, out of band)', async () => {
    const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
    return ns === null || !!ns.metadata.deletionTimestamp;
  });
}));
