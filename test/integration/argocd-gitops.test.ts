// GitOps through the REAL Argo CD v3 of the testbed (npm run testbed -- argocd up; this file starts it
// when it is not running): the GitOps driver commits a tenant's environment (manifests, Helm values and
// the AppProject/ApplicationSets Fleetplane renders) into a bare repo served read-only over git smart
// HTTP with per-repo credentials, and bootstraps the AppProject, both ApplicationSets and the repo
// credential Secret into the Argo CD namespace on fp-1 itself; Argo CD generates the Applications,
// clones, syncs to fp-2 and reports Synced+Healthy, which the driver's verify reads back (the synced
// commit must hold the revision). Then: a hand-deleted Deployment comes back (selfHeal), a commit
// removing an object prunes it, the Redis chart renders from the testbed's chart repository with the
// committed values, a rollback (revert commit) is verified only once Argo CD has synced it, the fence
// (#12 point 5) refuses another tenant's namespace and objects, a new or relabelled Namespace and a
// kind the blueprint does not render, Argo CD syncs as the namespace's own fleetplane-sync account
// (sync impersonation: the API server refuses it outside its namespace, and refuses the sync itself
// once its RoleBinding is gone, until the driver's next delivery restores it), and offboarding prunes
// everything and removes the Argo CD objects. Every wait is bounded; on a failure the controllers' logs are kept (the path is printed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { Revision } from '../../src/domain/types.ts';
import { testClusterClient } from '../helpers/cluster-client.ts';
import { applicationProblem, syncedHealthyAt } from '../../src/engine/drivers/argocd-status.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { SYNC_SERVICE_ACCOUNT, applicationName, chartApplicationName, chartApplicationSetName, syncClusterRoleName } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, binaryPath, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type ArgocdStatus, type GitRepoCredentials } from '../../testbed/index.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { eventually, pushChange, readApp, stripFinalizers, uidOf, waitForApp, withArgoLogs, writeRepoFile } from './argocd-support.ts';
import { git, makeContext, makeRevision } from './gitops-support.ts';

const tenant = `ag${randomBytes(3).toString('hex')}`;
const namespace = `${tenant}-prod`;
const victim = `${tenant}v-prod`; // another tenant's namespace on the same cluster
const appName = applicationName(tenant, 'prod');
const chartApp = chartApplicationName(tenant, 'prod', 'cache');
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
function revision(version: string, drop: string[] = [], replicas = 2): Revision {
  const r = makeRevision({ tenant, environment: 'prod', namespace, version, replicas });
  const cache = { component: 'cache', chart: 'fleetplane-redis', chartVersion: '1.0.0', repo: argo.chartRepoURL, releaseName: 'cache', namespace,
    yaml: 'architecture: standalone\nauth:\n  enabled: true\n  existingSecret: cache-auth\n  existingSecretPasswordKey: password\nmaster:\n  resources:\n    requests:\n      memory: 96Mi\n' };
  return { ...r, objects: r.objects.filter((o) => !drop.includes(o.object.kind)), helmValues: [cache as Revision['helmValues'][number]] };
}

const VERIFY = { timeoutMs: 240_000, pollIntervalMs: 1000 };

before(async () => {
  const tb = await getTestbed();
  dest = tb.clusters[1]!;
  mgmt = tb.clusters[0]!.client();
  kube = dest.client();
  argo = await argocdUp({ log: (l) => console.error(l) });
  assert.ok(argo.running, 'argocd up left processes dead');
  assert.ok(argo.clusters.includes(dest.name), `${dest.name} is registered with Argo CD`);
  repo = await argocdGitRepo(tenant);
  dataDir = await mkdtemp(join(tmpdir(), 'fp-argocd-e2e-'));
  // The driver pushes to the bare repo on disk; the repo's Argo CD URL is the served one.
  const repos = new GitRepos({ dataDir, remoteFor: () => ({ url: pathToFileURL(repo.path).href, argoURL: repo.url }) });
  // The driver bootstraps Argo CD on fp-1 (in `serve`: FLEETPLANE_ARGOCD_CLUSTER); Argo CD reads the
  // repo over HTTP with this tenant's credentials, in a repository Secret scoped to its AppProject.
  const argoClient = testClusterClient(tb.clusters[0]!.name, mgmt);
  driver = new GitopsDriver({
    repos, argocdNamespace: ARGOCD_NAMESPACE, archiveWhenEmpty: false, argoKube: () => argoClient,
    repoCredentials: () => ({ username: repo.username, password: repo.password }),
  });
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: victim, labels: { 'fleetplane.io/test': 'true', 'pod-security.kubernetes.io/enforce': 'restricted' } } });
});

after(async () => {
  for (const [kind, name] of [['ApplicationSet', tenant], ['ApplicationSet', chartApplicationSetName(tenant)]] as const) await mgmt?.delete(ARGO(kind, name)).catch(() => undefined);
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
  for (const ns of [namespace, victim, `${tenant}-evil`]) await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  await kube?.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `${tenant}-escalate` }).catch(() => undefined);
  await kube?.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace, name: 'escalate' }).catch(() => undefined);
  if (repo) await argocdRemoveGitRepo(tenant).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('one deliver: commit + bootstrap -> Argo CD generates the Application, clones over git HTTP, syncs to fp-2; verify reads it back', () => withArgoLogs(tenant, async () => {
  const committedAt = Date.now();
  const res = await driver.deliver(ctx('onboard'), revision('1.4.0'));
  commits.first = String(res.detail?.commit);
  assert.equal(res.detail?.repo, repo.url, 'the AppProject/ApplicationSet point Argo CD at the served URL');
  const project = await mgmt.get(ARGO('AppProject', tenant));
  const spec = project?.spec as { sourceRepos: string[]; clusterResourceWhitelist?: Array<Record<string, string>>; namespaceResourceWhitelist: Array<Record<string, string>>; clusterResourceBlacklist: Array<Record<string, string>> };
  assert.deepEqual(spec.sourceRepos, [repo.url, argo.chartRepoURL], 'bootstrapped by the driver: its repo and chart repo only');
  assert.deepEqual(spec.clusterResourceWhitelist ?? [], [], 'no cluster-scoped object from the repo: its Namespace is a guard rail, applied by the driver');
  assert.deepEqual(spec.clusterResourceBlacklist, [{ group: '', kind: 'Namespace' }]);
  assert.ok(!spec.namespaceResourceWhitelist.some((k) => k.kind === '*'));
  const secret = await mgmt.get({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${tenant}` });
  assert.equal(secret?.metadata.labels?.['argocd.argoproj.io/secret-type'], 'repository');
  assert.equal(Buffer.from(String((secret?.data as Record<string, string>).project), 'base64').toString(), tenant, 'credential scoped to the tenant project');
  const verdict = await driver.verify(ctx('onboard'), revision('1.4.0'), VERIFY);
  assert.deepEqual(verdict, { ready: true }, JSON.stringify(verdict));
  console.error(`[argocd test] deliver -> verify ready (Argo CD Synced+Healthy) in ${((Date.now() - committedAt) / 1000).toFixed(1)}s`);
  const v = await readApp(mgmt, appName);
  assert.ok(syncedHealthyAt(v, commits.first));
  assert.deepEqual(v?.revisions, [commits.first], 'Argo CD synced exactly the commit the driver pushed');
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
  const drift = await driver.drift(ctx('reconcile'), revision('1.4.0'));
  assert.equal(drift.drifted, false, `healed: nothing left to report (${JSON.stringify(drift.items)})`);
}));

test('prune: a commit without the Service deletes it from the cluster', () => withArgoLogs(tenant, async () => {
  const res = await driver.deliver(ctx('upgrade'), revision('1.4.1', ['Service']), { revision: revision('1.4.0'), inventory: [] });
  commits.pruned = String(res.detail?.commit);
  assert.notEqual(commits.pruned, commits.first);
  assert.deepEqual(await driver.verify(ctx('upgrade'), revision('1.4.1', ['Service']), VERIFY), { ready: true });
  assert.ok(syncedHealthyAt(await readApp(mgmt, appName), commits.pruned));
  await eventually('Service web pruned', async () => (await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: 'web' })) === null);
  assert.ok(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }), 'the rest stays');
}));

test('Helm: the -charts ApplicationSet renders the Redis chart from the local chart repo with the committed values', () => withArgoLogs(tenant, async () => {
  const v = await waitForApp(mgmt, chartApp, (a) => syncedHealthyAt(a, commits.pruned), `Synced+Healthy at ${commits.pruned}`);
  assert.deepEqual(v.revisions, ['1.0.0', commits.pruned], 'chart version and tenant repo commit, in source order');
  const sts = await kube.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: 'cache-redis-master' });
  const container = (sts?.spec as { template: { spec: { containers: Array<{ resources?: { requests?: Record<string, string> }; env?: Array<{ valueFrom?: { secretKeyRef?: { name: string } } }> }> } } }).template.spec.containers[0]!;
  assert.equal(container.resources?.requests?.memory, '96Mi', 'value from environments/prod/helm/cache.values.yaml');
  assert.equal(container.env?.[0]?.valueFrom?.secretKeyRef?.name, 'cache-auth');
  assert.ok(await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: 'cache-redis-master' }));
}));

test('rollback: the revert commit is verified only once Argo CD has synced it', () => withArgoLogs(tenant, async () => {
  const good = revision('1.4.1', ['Service']);
  const bad = revision('1.4.2', ['Service'], 3);
  const up = await driver.deliver(ctx('upgrade'), bad, { revision: good, inventory: [] });
  assert.deepEqual(await driver.verify(ctx('upgrade'), bad, VERIFY), { ready: true });
  const back = await driver.rollback(ctx('rollback'), good, { revision: bad, inventory: [] });
  commits.rolledBack = String(back.detail?.commit);
  assert.equal(back.detail?.reverted, up.detail?.commit, 'a revert of the upgrade commit');
  assert.match(git(repo.path, 'log', '-1', '--format=%s', commits.rolledBack), /^Revert "upgrade /);
  assert.deepEqual(await driver.verify(ctx('rollback'), good, VERIFY), { ready: true });
  const v = await readApp(mgmt, appName);
  assert.deepEqual(v?.revisions, [commits.rolledBack], 'Argo CD synced the revert commit');
  const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' });
  assert.equal((d?.spec as { replicas: number }).replicas, 2, 'back at the good revision');
}));

/** The API server's own answer (kubectl auth can-i runs a SubjectAccessReview) for the sync account. */
async function syncAccountMay(verb: string, resource: string, ns?: string): Promise<boolean> {
  const args = ['--kubeconfig', dest.kubeconfig, 'auth', 'can-i', verb, resource, `--as=system:serviceaccount:${namespace}:${SYNC_SERVICE_ACCOUNT}`, ...(ns ? ['-n', ns] : [])];
  const out = await promisify(execFile)(binaryPath('kubectl'), args).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  if (!/^(yes|no)\b/.test(out.trim())) throw new Error(`kubectl auth can-i ${args.join(' ')}: ${out}`);
  return out.trim().startsWith('yes');
}

test('impersonation (#12.5): Argo CD syncs as the namespace\'s fleetplane-sync account, which the API server keeps in its namespace', () => withArgoLogs(tenant, async () => {
  const project = await mgmt.get(ARGO('AppProject', tenant));
  assert.deepEqual((project?.spec as { destinationServiceAccounts: unknown }).destinationServiceAccounts, [{ server: dest.apiServer, namespace, defaultServiceAccount: SYNC_SERVICE_ACCOUNT }]);
  // What the account may do, asked of the real authorizer.
  assert.equal(await syncAccountMay('create', 'deployments.apps', namespace), true);
  assert.equal(await syncAccountMay('create', 'configmaps', victim), false, "not in another tenant's namespace");
  assert.equal(await syncAccountMay('get', 'secrets', namespace), false, 'Secrets stay out of band');
  assert.equal(await syncAccountMay('create', 'namespaces'), false);
  assert.equal(await syncAccountMay('patch', `namespace/${victim}`), false);
  assert.equal(await syncAccountMay('patch', `namespace/${namespace}`), false, 'not even its own Namespace (a guard rail)');
  for (const r of ['resourcequotas', 'limitranges', 'networkpolicies.networking.k8s.io']) assert.equal(await syncAccountMay('patch', r, namespace), false, `${r}: guard rails, out of band`);
  assert.equal(await syncAccountMay('create', 'clusterroles.rbac.authorization.k8s.io'), false);
  assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: syncClusterRoleName(namespace) }), null, 'no cluster-scoped binding any more');

  // Argo CD really uses it: without its RoleBinding the next sync is refused by the API server, naming the account.
  const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace, name: SYNC_SERVICE_ACCOUNT };
  assert.ok(await kube.delete(binding));
  const probe = await pushChange(repo.path, 'probe: one more ConfigMap', async (dir) => {
    await writeRepoFile(dir, 'environments/prod/manifests/95-configmap-probe.yaml', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace }, data: { k: 'v' } }));
  });
  const said = (a: NonNullable<Parameters<typeof applicationProblem>[0]>) => `${applicationProblem(a) ?? ''} ${a.operationMessage ?? ''}`;
  const refused = await waitForApp(mgmt, appName, (a) => a.revisions.includes(probe) && /forbidden/i.test(said(a)), 'the sync refused by the API server');
  assert.match(said(refused), new RegExp(`forbidden: User "system:serviceaccount:${namespace}:${SYNC_SERVICE_ACCOUNT}"`), said(refused));
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'probe' }), null, 'nothing applied with the controller\'s own rights');

  // The driver's next delivery re-applies the identity and rewrites the directory (a new commit): Ready again.
  await driver.deliver(ctx('reconfigure'), revision('1.4.1', ['Service']), { revision: revision('1.4.1', ['Service']), inventory: [] });
  assert.ok(await kube.get(binding), 'the RoleBinding is back');
  assert.deepEqual(await driver.verify(ctx('reconfigure'), revision('1.4.1', ['Service']), VERIFY), { ready: true });
}));

test("fence (#12.5): another tenant's namespace, a new or relabelled Namespace, a ClusterRole and an unrendered kind are refused by Argo CD", () => withArgoLogs(tenant, async () => {
  const intruders = {
    '90-configmap-intruder.yaml': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'intruder', namespace: victim }, data: { stolen: 'yes' } },
    '91-clusterrole-escalate.yaml': { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${tenant}-escalate` }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    '92-namespace-victim.yaml': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: victim, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
    '93-namespace-evil.yaml': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${tenant}-evil` } },
    '94-role-escalate.yaml': { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'escalate', namespace }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
  };
  const hostile = await pushChange(repo.path, 'hostile: objects outside the project', async (dir) => {
    for (const [file, obj] of Object.entries(intruders)) await writeRepoFile(dir, `environments/prod/manifests/${file}`, JSON.stringify(obj));
  });
  const v = await waitForApp(mgmt, appName, (a) => a.revisions.includes(hostile) && /not permitted/i.test(`${applicationProblem(a)} ${a.operationMessage ?? ''}`), 'refusal reported');
  const said = `${applicationProblem(v)} ${v.operationMessage ?? ''}`;
  assert.match(said, /not permitted in project/, said);
  assert.notEqual(v.sync, 'Synced');
  const verdict = await driver.verify(ctx('upgrade'), good(), { timeoutMs: 1, pollIntervalMs: 1 });
  assert.equal(verdict.ready, false, 'verify does not pass a refused sync');
  assert.match(verdict.message ?? '', /Argo CD|synced commit/, verdict.message);
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: victim, name: 'intruder' }), null, 'nothing written into the other namespace');
  assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: `${tenant}-escalate` }), null, 'no ClusterRole created');
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-evil` }), null, 'no new Namespace');
  assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace, name: 'escalate' }), null, 'no Role (a kind the blueprint does not render)');
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: victim });
  assert.equal(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted', "the other tenant's Namespace is not relabelled");
  assert.ok(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }), "the tenant's own objects stay");
}));

const good = () => revision('1.4.1', ['Service']);

test('Fleetplane re-delivers over the hostile commit, then offboarding prunes the objects and removes the Argo CD objects', () => withArgoLogs(tenant, async () => {
  await driver.deliver(ctx('reconfigure'), good(), { revision: good(), inventory: [] });
  assert.deepEqual(await driver.verify(ctx('reconfigure'), good(), VERIFY), { ready: true });
  const res = await driver.remove(ctx('offboard'), []);
  assert.equal(res.detail?.changed, true);
  assert.equal(await readApp(mgmt, appName), null, 'remove returns once Argo CD has deleted the Application');
  assert.equal(await readApp(mgmt, chartApp), null);
  await eventually('Deployment and StatefulSet pruned', async () =>
    (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' })) === null
    && (await kube.get({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: 'cache-redis-master' })) === null);
  for (const [kind, name] of [['AppProject', tenant], ['ApplicationSet', tenant], ['ApplicationSet', chartApplicationSetName(tenant)]] as const) {
    assert.equal(await mgmt.get(ARGO(kind, name)), null, `${kind} ${name} removed`);
  }
  assert.equal(await mgmt.get({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${tenant}` }), null, 'repo credential removed');
  for (const kind of ['ClusterRole', 'ClusterRoleBinding']) {
    assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name: syncClusterRoleName(namespace) }), null, `no ${kind} left for the sync account`);
  }
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  assert.ok(!ns || ns.metadata.deletionTimestamp, 'the Namespace (a guard rail, out of band) is deleted by the driver');
}));
