// The environment's guard rails (Namespace with its Pod Security / mesh labels, ResourceQuota,
// LimitRange, NetworkPolicies) out of the tenant repo, on the REAL Argo CD of the testbed (#12):
//   1. an environment delivered under the older layout (guard rails committed, tracked by its
//      Application; the AppProject permitting them; the sync account allowed to write them) is
//      upgraded by today's driver: it takes them over (fenced AppProject, Argo CD's tracking
//      annotation stripped, applied as Fleetplane) before the commit that drops them, and a poller
//      watching fp-2 all along sees none of them missing or re-created (same uid) while Argo CD
//      syncs and prunes the new commit;
//   2. a push to the tenant repo that adds a looser ResourceQuota (a bigger copy of the real one and
//      a second one) and an allow-all NetworkPolicy is refused by Argo CD (`not permitted in
//      project`), with the real guard rails untouched;
//   3. offboarding deletes the Namespace (and with it the guard rails).
// Every wait is bounded; on a failure the controllers' logs are kept (the path is printed).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { KubeObject, ObjectRef, Revision } from '../../src/domain/types.ts';
import { refOf } from '../../src/domain/kinds.ts';
import { applicationProblem, syncedHealthyAt } from '../../src/engine/drivers/argocd-status.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { bootstrapTenant } from '../../src/engine/drivers/gitops-argo.ts';
import { ARGO_API, applicationName, commitMessage, renderArgoFiles, renderEnvironmentTree, syncClusterRoleName, syncIdentityObjects } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type GitRepoCredentials } from '../../testbed/index.ts';
import { testClusterClient } from '../helpers/cluster-client.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { eventually, pushChange, readApp, removeTenantFromArgo, sleep, waitForApp, withArgoLogs, writeRepoFile } from './argocd-support.ts';
import { git, makeContext, makeRevision } from './gitops-support.ts';

const tenant = `gr${randomBytes(3).toString('hex')}`;
const namespace = `${tenant}-prod`;
const appName = applicationName(tenant, 'prod');
const TRACKING = 'argocd.argoproj.io/tracking-id';
let mgmt: KubeClient;
let dest: TestCluster;
let kube: KubeClient;
let repo: GitRepoCredentials;
let dataDir: string;
let repos: GitRepos;
let driver: GitopsDriver;
const argoTarget = () => ({ kube: testClusterClient('fp-1', mgmt), namespace: ARGOCD_NAMESPACE });
const ctx = (kind: string) => makeContext({ tenant, env: 'prod', namespace, cluster: dest, kube: testClusterClient(dest.name, kube), kind, opId: `op-${kind}` });
const repoRef = () => ({ tenant, repoURL: repo.url, argocdNamespace: ARGOCD_NAMESPACE });

const RAILS: ObjectRef[] = [
  { apiVersion: 'v1', kind: 'Namespace', name: namespace },
  { apiVersion: 'v1', kind: 'ResourceQuota', namespace, name: 'quota' },
  { apiVersion: 'v1', kind: 'LimitRange', namespace, name: 'limits' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: 'default-deny' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: 'allow-web' },
];
const key = (r: ObjectRef) => `${r.kind}/${r.name}`;

/** makeRevision's Namespace/Deployment/Service with the guard rails a rendered environment has. */
function revision(version: string, replicas = 2): Revision {
  const base = makeRevision({ tenant, environment: 'prod', namespace, version, replicas });
  const hash = (o: KubeObject) => createHash('sha256').update(JSON.stringify(o)).digest('hex');
  const labels = { 'fleetplane.io/tenant': tenant, 'app.kubernetes.io/managed-by': 'fleetplane' };
  const ns = base.objects[0]!.object;
  const nsWithLabels = { ...ns, metadata: { ...ns.metadata, labels: { ...ns.metadata.labels, 'pod-security.kubernetes.io/enforce': 'baseline', 'istio.io/dataplane-mode': 'ambient' } } };
  const rails: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota', namespace, labels }, spec: { hard: { pods: '20', 'services.nodeports': '0' } } },
    { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace, labels }, spec: { limits: [{ type: 'Container', default: { memory: '256Mi' }, defaultRequest: { memory: '64Mi' } }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace, labels }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-web', namespace, labels }, spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] } },
  ];
  return { ...base, helmValues: [], objects: [{ object: nsWithLabels, hash: hash(nsWithLabels) }, ...rails.map((object) => ({ object, hash: hash(object) })), ...base.objects.slice(1)] };
}

/**
 * What the driver did before the guard rails left the repo (read from its code at 64125ff): the
 * Namespace and a sync identity whose Role writes quotas, limits and NetworkPolicies plus a ClusterRole
 * pair for its Namespace, applied out of band; every object but Secrets committed; an AppProject
 * permitting the Namespace by name and every rendered kind.
 */
async function deliverLegacy(rev: Revision): Promise<string> {
  const tree = renderEnvironmentTree(rev, { cluster: dest.name, server: dest.apiServer, namespace }); // in-tree: the old layout
  await kube.apply(rev.objects[0]!.object, { force: true });
  const [sa, role, binding] = syncIdentityObjects(tenant, namespace);
  const write = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
  const legacyRole = { ...role!, rules: [...(role as unknown as { rules: unknown[] }).rules, { apiGroups: [''], resources: ['resourcequotas', 'limitranges'], verbs: write }, { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: write }] } as KubeObject;
  const cr = syncClusterRoleName(namespace);
  const rbac = 'rbac.authorization.k8s.io/v1';
  for (const o of [sa!, legacyRole, binding!,
    { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: cr }, rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [namespace], verbs: ['get', 'patch', 'update', 'delete'] }] },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: cr }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr }, subjects: [{ kind: 'ServiceAccount', name: 'fleetplane-sync', namespace }] },
  ] as KubeObject[]) await kube.apply(o, { force: true });
  const commit = await repos.mutate(tenant, async (ws) => {
    await ws.replaceDir(tree.dir, tree.files);
    await ws.writeFiles(renderArgoFiles(repoRef(), [tree.index]));
    await ws.commitIfChanged(commitMessage({ action: 'onboard', tenant, environment: 'prod', blueprint: 'default', version: rev.version, revision: rev.id, operationId: 'op-legacy' }), new Date());
    return String(await ws.head());
  }, new AbortController().signal);
  await bootstrapTenant(argoTarget(), repoRef(), async () => [tree.index], { username: repo.username, password: repo.password });
  // The older AppProject: the Namespace by name and the guard-rail kinds whitelisted, no blacklist.
  const project = await mgmt.get({ apiVersion: ARGO_API, kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: tenant });
  const spec = { ...(project!.spec as Record<string, unknown>) };
  delete spec.namespaceResourceBlacklist;
  delete spec.clusterResourceBlacklist;
  spec.clusterResourceWhitelist = [{ group: '', kind: 'Namespace', name: namespace }];
  spec.namespaceResourceWhitelist = [...(spec.namespaceResourceWhitelist as unknown[]), { group: '', kind: 'LimitRange' }, { group: '', kind: 'ResourceQuota' }, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }];
  await mgmt.apply({ apiVersion: ARGO_API, kind: 'AppProject', metadata: { name: tenant, namespace: ARGOCD_NAMESPACE, labels: project!.metadata.labels }, spec } as KubeObject, { force: true, fieldManager: 'fleetplane-gitops' });
  return commit;
}

/** Reads every guard rail of the namespace until stopped: uids seen, and every moment one was missing or being deleted. */
function watchRails(): { stop: () => Promise<{ polls: number; missing: string[]; uids: Map<string, Set<string>> }> } {
  let running = true;
  let polls = 0;
  const missing: string[] = [];
  const uids = new Map<string, Set<string>>(RAILS.map((r) => [key(r), new Set<string>()]));
  const loop = (async () => {
    while (running) {
      const seen = await Promise.all(RAILS.map((r) => kube.get(r).catch(() => undefined)));
      polls++;
      seen.forEach((o, i) => {
        if (o === undefined) return; // a failed read says nothing
        const k = key(RAILS[i]!);
        if (!o || o.metadata.deletionTimestamp) missing.push(`${k} at poll ${polls} (${new Date().toISOString()})`);
        else uids.get(k)!.add(String(o.metadata.uid));
      });
      await sleep(200);
    }
  })();
  return { stop: async () => { running = false; await loop; return { polls, missing, uids }; } };
}

before(async () => {
  const tb = await getTestbed();
  dest = tb.clusters[1]!;
  mgmt = tb.clusters[0]!.client();
  kube = dest.client();
  const argo = await argocdUp({ log: (l) => console.error(l) });
  assert.ok(argo.running && argo.clusters.includes(dest.name));
  repo = await argocdGitRepo(tenant);
  dataDir = await mkdtemp(join(tmpdir(), 'fp-guard-rails-'));
  repos = new GitRepos({ dataDir, remoteFor: () => ({ url: pathToFileURL(repo.path).href, argoURL: repo.url }) });
  const argoClient = testClusterClient(tb.clusters[0]!.name, mgmt);
  driver = new GitopsDriver({ repos, argocdNamespace: ARGOCD_NAMESPACE, archiveWhenEmpty: false, argoKube: () => argoClient, repoCredentials: () => ({ username: repo.username, password: repo.password }) });
});

after(async () => {
  if (mgmt) await removeTenantFromArgo(mgmt, tenant).catch(() => undefined);
  await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => undefined);
  for (const kind of ['ClusterRoleBinding', 'ClusterRole']) await kube?.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name: syncClusterRoleName(namespace) }).catch(() => undefined);
  if (repo) await argocdRemoveGitRepo(tenant).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const VERIFY = { timeoutMs: 300_000, pollIntervalMs: 1000 };
const v1 = revision('1.4.0');
const v2 = revision('1.5.0', 3);
let legacyInventory: ObjectRef[] = [];

test('older layout -> today\'s: the guard rails are taken over before the commit that drops them, and never disappear while Argo CD syncs and prunes it', () => withArgoLogs(tenant, async () => {
  const legacy = await deliverLegacy(v1);
  legacyInventory = v1.objects.map((r) => refOf(r.object));
  await waitForApp(mgmt, appName, (a) => syncedHealthyAt(a, legacy), `Synced+Healthy at the legacy commit ${legacy}`, 240_000);
  for (const r of RAILS) {
    const o = await kube.get(r);
    assert.match(o?.metadata.annotations?.[TRACKING] ?? '', new RegExp(`^${appName}:`), `${key(r)} tracked by the Application under the old layout`);
  }
  const watch = watchRails();
  let seen: Awaited<ReturnType<ReturnType<typeof watchRails>['stop']>>;
  try {
    const res = await driver.deliver(ctx('upgrade'), v2, { revision: v1, inventory: legacyInventory });
    const commit = String(res.detail?.commit);
    assert.deepEqual(await driver.verify(ctx('upgrade'), v2, VERIFY), { ready: true });
    // Argo CD has synced (and pruned) the commit without the guard rails; a further full reconcile
    // of it must not list them either.
    const app = await waitForApp(mgmt, appName, (a) => syncedHealthyAt(a, commit) && a.operationPhase === 'Succeeded', 'the upgrade commit synced');
    assert.deepEqual(app.revisions, [commit]);
    await eventually('the Application no longer lists any guard rail', async () => {
      const live = await mgmt.get({ apiVersion: ARGO_API, kind: 'Application', namespace: ARGOCD_NAMESPACE, name: appName });
      const resources = ((live?.status as { resources?: Array<{ kind: string }> } | undefined)?.resources ?? []);
      return resources.length > 0 && !resources.some((r) => ['Namespace', 'ResourceQuota', 'LimitRange', 'NetworkPolicy'].includes(r.kind));
    });
    await sleep(3000); // a few more polls after Argo CD's last word
  } finally {
    seen = await watch.stop();
  }
  console.error(`[guard rails] ${seen.polls} polls of ${RAILS.length} objects across the upgrade`);
  assert.ok(seen.polls >= 10, `the watcher ran (${seen.polls} polls)`);
  assert.deepEqual(seen.missing, [], 'no guard rail ever missing or being deleted');
  for (const [k, set] of seen.uids) assert.equal(set.size, 1, `${k} never re-created (uids ${[...set].join(', ')})`);
  for (const r of RAILS) {
    const o = await kube.get(r);
    assert.equal(o?.metadata.annotations?.[TRACKING], undefined, `${key(r)}: no Application's any more`);
    const managers = (o?.metadata.managedFields ?? []) as Array<{ manager?: string; operation?: string }>;
    assert.ok(managers.some((m) => m.manager === 'fleetplane' && m.operation === 'Apply'), `${key(r)} applied by Fleetplane`);
  }
  const files = git(repo.path, 'ls-tree', '-r', '--name-only', 'main', 'environments/prod/manifests/').trim().split('\n');
  assert.ok(files.length >= 2 && !files.some((f) => /-(namespace|resourcequota|limitrange|networkpolicy)-/.test(f)), `the repo holds no guard rail: ${files.join(' ')}`);
  const project = (await mgmt.get({ apiVersion: ARGO_API, kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: tenant }))!.spec as Record<string, Array<{ kind: string }>>;
  assert.ok(!(project.namespaceResourceWhitelist ?? []).some((k) => ['ResourceQuota', 'LimitRange', 'NetworkPolicy'].includes(k.kind)));
  assert.deepEqual((project.clusterResourceWhitelist ?? []), []);
  assert.deepEqual(project.namespaceResourceBlacklist!.map((k) => k.kind), ['LimitRange', 'ResourceQuota', 'NetworkPolicy']);
  const role = await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace, name: 'fleetplane-sync' });
  assert.ok(!JSON.stringify(role?.rules ?? role).match(/resourcequotas|limitranges|networkpolicies/), 'the sync account lost write access to the guard rails');
  assert.equal(await kube.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name: syncClusterRoleName(namespace) }), null, 'and its Namespace binding');
  const ns = await kube.get(RAILS[0]!);
  assert.equal(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'baseline', 'Namespace labels kept');
  const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' });
  assert.equal((d?.spec as { replicas: number }).replicas, 3, 'the upgrade itself landed');
}));

test('a push adding a looser ResourceQuota and an allow-all NetworkPolicy is refused by Argo CD; the real guard rails stay', () => withArgoLogs(tenant, async () => {
  const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota', namespace }, spec: { hard: { pods: '1000', 'services.nodeports': '50' } } };
  const hostile = await pushChange(repo.path, 'loosen: a bigger quota and an open door', async (dir) => {
    await writeRepoFile(dir, 'environments/prod/manifests/90-resourcequota-quota.yaml', JSON.stringify(quota));
    await writeRepoFile(dir, 'environments/prod/manifests/91-resourcequota-loose.yaml', JSON.stringify({ ...quota, metadata: { name: 'loose', namespace } }));
    await writeRepoFile(dir, 'environments/prod/manifests/92-networkpolicy-allow-all.yaml', JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] } }));
  });
  const said = (a: NonNullable<Awaited<ReturnType<typeof readApp>>>) => `${applicationProblem(a) ?? ''} ${a.operationMessage ?? ''}`;
  const refused = await waitForApp(mgmt, appName, (a) => a.revisions.includes(hostile) && /not permitted/i.test(said(a)), 'the looser guard rails refused');
  assert.match(said(refused), /ResourceQuota|NetworkPolicy/, said(refused));
  assert.notEqual(refused.sync, 'Synced');
  const live = await kube.get({ apiVersion: 'v1', kind: 'ResourceQuota', namespace, name: 'quota' });
  assert.equal((live?.spec as { hard: Record<string, string> }).hard.pods, '20', 'the real quota unchanged');
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ResourceQuota', namespace, name: 'loose' }), null);
  assert.equal(await kube.get({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name: 'allow-all' }), null);
  for (const r of RAILS) assert.ok(await kube.get(r), `${key(r)} still there`);
  // The next delivery rewrites the directory over the hostile commit: Ready again.
  await driver.deliver(ctx('reconfigure'), v2, { revision: v2, inventory: [] });
  assert.deepEqual(await driver.verify(ctx('reconfigure'), v2, VERIFY), { ready: true });
}));

test('offboarding deletes the Namespace and with it the guard rails', () => withArgoLogs(tenant, async () => {
  await driver.remove(ctx('offboard'), v2.objects.map((r) => refOf(r.object)));
  assert.equal(await readApp(mgmt, appName), null, 'the Application is gone');
  await eventually('the Namespace deleted', async () => {
    const ns = await kube.get(RAILS[0]!);
    return !ns || !!ns.metadata.deletionTimestamp;
  }, { timeoutMs: 60_000 });
}));
