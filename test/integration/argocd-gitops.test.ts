// GitOps through the REAL Argo CD v3 of the testbed (npm run testbed -- argocd up; this file starts it
// when it is not running): the GitOps driver commits a tenant's environment (manifests, Helm values and
// the AppProject/ApplicationSets Fleetplane renders) into a bare repo served read-only over git smart
// HTTP with per-repo credentials; the ApplicationSets are applied to the Argo CD namespace on fp-1;
// Argo CD generates the Applications, clones, syncs to fp-2 and reports Synced+Healthy. Then:
// a hand-deleted Deployment comes back (selfHeal), a commit removing an object prunes it, the Redis
// chart renders from the testbed's chart repository with the committed values, and objects aimed
// outside the AppProject's destinations are refused by Argo CD. Every wait is bounded; on a failure
// the controllers' logs are kept (the path is printed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { KubeObject, Revision } from '../../src/domain/types.ts';
import { testClusterClient } from '../helpers/cluster-client.ts';
import { applicationProblem, syncedHealthyAt } from '../../src/engine/drivers/argocd-status.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, repositorySecret, type ArgocdStatus, type GitRepoCredentials } from '../../testbed/index.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { eventually, gitShow, pushChange, readApp, stripFinalizers, uidOf, waitForApp, withArgoLogs, writeRepoFile } from './argocd-support.ts';
import { makeContext, makeRevision } from './gitops-support.ts';

const tenant = `ag${randomBytes(3).toString('hex')}`;
const namespace = `${tenant}-prod`;
const victim = `${tenant}v-prod`; // another tenant's namespace on the same cluster
const appName = `${tenant}-prod`;
const chartApp = `${tenant}-prod-cache`;
let argo: ArgocdStatus;
let mgmt: KubeClient; // fp-1: Argo CD's namespace
let dest: TestCluster; // fp-2: where the environment runs
let kube: KubeClient;
let repo: GitRepoCredentials;
let dataDir: string;
let driver: GitopsDriver;
const commits: Record<string, string> = {};

const ARGO = (kind: string, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: ARGOCD_NAMESPACE, name });
const ctx = (kind: string) => makeContext({ tenant, env: 'prod', namespace, cluster: dest, kube: testClusterClient(dest.name, kube), kind, opId: `op-${kind}` });

/** The renderer's revision shape, with the cache chart taken from the testbed's chart repository. */
function revision(version: string, drop: string[] = []): Revision {
  const r = makeRevision({ tenant, environment: 'prod', namespace, version, replicas: 2 });
  const cache = { component: 'cache', chart: 'redis', chartVersion: '20.6.2', repo: argo.chartRepoURL, releaseName: 'cache', namespace,
    yaml: 'architecture: standalone\nauth:\n  enabled: true\n  existingSecret: cache-auth\n  existingSecretPasswordKey: password\nmaster:\n  resources:\n    requests:\n      memory: 96Mi\n' };
  return { ...r, objects: r.objects.filter((o) => !drop.includes(o.object.kind)), helmValues: [cache as Revision['helmValues'][number]] };
}

async function applyArgoObjects(commit: string): Promise<void> {
  for (const file of ['appproject', 'applicationset', 'applicationset-charts']) {
    const obj = parse(await gitShow(repo.path, `${commit}:argocd/${file}.yaml`)) as KubeObject;
    await mgmt.apply(obj, { fieldManager: 'fleetplane-tests', force: true });
  }
}

before(async () => {
  const tb = await getTestbed();
  dest = tb.clusters[1]!;
  mgmt = tb.clusters[0]!.client();
  kube = dest.client();
  argo = await argocdUp({ log: (l) => console.error(l) });
  assert.ok(argo.running, 'argocd up left processes dead');
  assert.ok(argo.clusters.includes(dest.name), `${dest.name} is registered with Argo CD`);
  repo = await argocdGitRepo(tenant);
  // Argo CD reads the repo over HTTP with this tenant's credentials, scoped to its AppProject.
  await mgmt.apply(repositorySecret({ name: tenant, url: repo.url, username: repo.username, password: repo.password, project: tenant }) as KubeObject, { fieldManager: 'fleetplane-tests' });
  dataDir = await mkdtemp(join(tmpdir(), 'fp-argocd-e2e-'));
  // The driver pushes to the bare repo on disk; the repo's Argo CD URL is the served one.
  const repos = new GitRepos({ dataDir, remoteFor: () => ({ url: pathToFileURL(repo.path).href, argoURL: repo.url }) });
  driver = new GitopsDriver({ repos, argocdNamespace: ARGOCD_NAMESPACE, archiveWhenEmpty: false });
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: victim, labels: { 'fleetplane.io/test': 'true' } } });
});

after(async () => {
  for (const [kind, name] of [['ApplicationSet', tenant], ['ApplicationSet', `${tenant}-charts`]] as const) await mgmt?.delete(ARGO(kind, name)).catch(() => undefined);
  // Applications carry the resources finalizer: Argo CD deletes their objects, then they go. After
  // the refused sync its retries (Fleetplane's policy: 5, backing off to 3 min) hold the Application,
  // so past a bound the finalizer is dropped and the namespaces below are deleted by hand.
  const apps = () => mgmt.list('argoproj.io/v1alpha1', 'Application', { namespace: ARGOCD_NAMESPACE, labelSelector: { 'fleetplane.io/tenant': tenant } });
  const gone = await eventually('Applications removed by Argo CD', async () => (await apps()).length === 0, { timeoutMs: 60_000 }).catch(() => false);
  if (!gone) {
    for (const a of await apps().catch(() => [])) {
      await stripFinalizers(argo.management.kubeconfig, a.metadata.name).catch(() => undefined);
      await mgmt.delete(ARGO('Application', a.metadata.name)).catch(() => undefined);
    }
  }
  await mgmt?.delete(ARGO('AppProject', tenant)).catch(() => undefined);
  await mgmt?.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${tenant}` }).catch(() => undefined);
  for (const ns of [namespace, victim]) await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  await kube?.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `${tenant}-escalate` }).catch(() => undefined);
  if (repo) await argocdRemoveGitRepo(tenant).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('commit -> ApplicationSet generates the Application -> Argo CD clones over git HTTP, syncs to fp-2, Synced+Healthy', () => withArgoLogs(tenant, async () => {
  const res = await driver.deliver(ctx('onboard'), revision('1.4.0'));
  commits.first = String(res.detail?.commit);
  assert.equal(res.detail?.repo, repo.url, 'the AppProject/ApplicationSet point Argo CD at the served URL');
  const committedAt = Date.now();
  await applyArgoObjects(commits.first);
  const v = await waitForApp(mgmt, appName, (a) => syncedHealthyAt(a, commits.first), `Synced+Healthy at ${commits.first}`);
  console.error(`[argocd test] commit -> ${appName} Synced+Healthy in ${((Date.now() - committedAt) / 1000).toFixed(1)}s (ApplicationSet applied with the commit)`);
  assert.deepEqual(v.revisions, [commits.first]);
  const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' });
  assert.equal((d?.status as { readyReplicas?: number } | undefined)?.readyReplicas, 2, 'Deployment Ready on kwok');
  const tracking = d?.metadata.annotations?.['argocd.argoproj.io/tracking-id'] ?? '';
  assert.match(tracking, new RegExp(`^${appName}:apps/Deployment:${namespace}/web$`), 'applied by Argo CD (annotation tracking)');
  assert.ok(await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: 'web' }));
}));

test('selfHeal: a hand-deleted Deployment is brought back by Argo CD', () => withArgoLogs(tenant, async () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' };
  const before = uidOf(await kube.get(ref));
  assert.ok(before);
  await kube.delete(ref);
  const back = await eventually('Deployment web re-created by selfHeal', async () => {
    const d = await kube.get(ref);
    return d && uidOf(d) !== before && !d.metadata.deletionTimestamp ? d : null;
  });
  assert.equal(back.metadata.annotations?.['argocd.argoproj.io/tracking-id'], `${appName}:apps/Deployment:${namespace}/web`);
  await waitForApp(mgmt, appName, (a) => syncedHealthyAt(a, commits.first), 'Synced+Healthy again');
}));

test('prune: a commit without the Service deletes it from the cluster', () => withArgoLogs(tenant, async () => {
  const res = await driver.deliver(ctx('upgrade'), revision('1.4.1', ['Service']), { revision: revision('1.4.0'), inventory: [] });
  commits.pruned = String(res.detail?.commit);
  assert.notEqual(commits.pruned, commits.first);
  await waitForApp(mgmt, appName, (a) => syncedHealthyAt(a, commits.pruned), `Synced+Healthy at ${commits.pruned}`);
  await eventually('Service web pruned', async () => (await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: 'web' })) === null);
  assert.ok(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }), 'the rest stays');
}));

test('Helm: the -charts ApplicationSet renders the Redis chart from the local chart repo with the committed values', () => withArgoLogs(tenant, async () => {
  const v = await waitForApp(mgmt, chartApp, (a) => syncedHealthyAt(a, commits.pruned), `Synced+Healthy at ${commits.pruned}`);
  assert.deepEqual(v.revisions, ['20.6.2', commits.pruned], 'chart version and tenant repo commit, in source order');
  const sts = await kube.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: 'cache-redis-master' });
  const container = (sts?.spec as { template: { spec: { containers: Array<{ resources?: { requests?: Record<string, string> }; env?: Array<{ valueFrom?: { secretKeyRef?: { name: string } } }> }> } } }).template.spec.containers[0]!;
  assert.equal(container.resources?.requests?.memory, '96Mi', 'value from environments/prod/helm/cache.values.yaml');
  assert.equal(container.env?.[0]?.valueFrom?.secretKeyRef?.name, 'cache-auth');
  assert.ok(await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: 'cache-redis-master' }));
}));

test("objects aimed outside the AppProject (another tenant's namespace, a ClusterRole) are refused by Argo CD", () => withArgoLogs(tenant, async () => {
  const intruders = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'intruder', namespace: victim }, data: { stolen: 'yes' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${tenant}-escalate` }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
  ];
  const hostile = await pushChange(repo.path, 'hostile: objects outside the project', async (dir) => {
    await writeRepoFile(dir, 'environments/prod/manifests/90-configmap-intruder.yaml', JSON.stringify(intruders[0]));
    await writeRepoFile(dir, 'environments/prod/manifests/91-clusterrole-escalate.yaml', JSON.stringify(intruders[1]));
  });
  const v = await waitForApp(mgmt, appName, (a) => a.revisions.includes(hostile) && /not permitted/i.test(`${applicationProblem(a)} ${a.operationMessage ?? ''}`), 'refusal reported');
  const said = `${applicationProblem(v)} ${v.operationMessage ?? ''}`;
  assert.match(said, new RegExp(`namespace ${victim} is not permitted in project`), 'names the foreign namespace');
  assert.match(said, /ClusterRole is not permitted in project/, 'names the cluster-scoped kind');
  assert.notEqual(v.sync, 'Synced');
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: victim, name: 'intruder' }), null, 'nothing written into the other namespace');
  assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `${tenant}-escalate` }), null, 'no ClusterRole created');
  assert.ok(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }), "the tenant's own objects stay");
  const app = await readApp(mgmt, appName);
  assert.ok(app, 'the Application is still there');
}));
