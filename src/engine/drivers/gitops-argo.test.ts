import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, ObjectRef } from '../../domain/types.ts';
import { renderEnvironmentTree } from '../../render/gitops/index.ts';
import { bootstrapTenant, fenceGuardRails, narrowTenant, refreshPending, requestRefresh } from './gitops-argo.ts';
import { trackingStrip } from './gitops.ts';
import type { ClusterClient } from './types.ts';

/** An in-memory API server for the Argo CD namespace (what bootstrap writes, nothing else). */
function memoryKube(): ClusterClient & { objects: Map<string, KubeObject> } {
  const key = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  const objects = new Map<string, KubeObject>();
  return {
    cluster: 'mgmt', objects,
    apply: async (o) => { objects.set(key({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace! }), o); return o; },
    mergePatch: async (r) => objects.get(key(r)) ?? null,
    get: async (r) => objects.get(key(r)) ?? null,
    list: async () => [],
    delete: async (r) => objects.delete(key(r)),
  };
}

const index = (env: string) => renderEnvironmentTree({
  id: `r-${env}`, tenant: 'acme', environment: env, blueprint: 'b', version: '1', helmValues: [],
  objects: [{ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `acme-${env}` } }, hash: 'h' }],
}, { cluster: 'c', server: 'https://c', namespace: `acme-${env}` }).index;

const ref = { tenant: 'acme', repoURL: 'http://git/acme.git', argocdNamespace: 'argo' };
const envsIn = (k: ReturnType<typeof memoryKube>) => ((k.objects.get('ApplicationSet/argo/acme')?.spec as { generators: Array<{ list: { elements: Array<{ environment: string }> } }> }).generators[0]!.list.elements.map((e) => e.environment));
const nsIn = (k: ReturnType<typeof memoryKube>) => ((k.objects.get('AppProject/argo/acme')?.spec as { destinations: Array<{ namespace: string }> }).destinations.map((d) => d.namespace));

test('two racing deliveries only widen: neither drops the other environment; removal narrows', async () => {
  const kube = memoryKube();
  const t = { kube, namespace: 'argo' };
  // Delivery of staging saw the repo with both; delivery of prod (an older clone) saw only prod, and lands last.
  await bootstrapTenant(t, ref, async () => [index('prod'), index('staging')], { username: 'u', password: 'p' });
  await bootstrapTenant(t, ref, async () => [index('prod')], null);
  assert.deepEqual(envsIn(kube), ['prod', 'staging'], 'staging kept: dropping it would make Argo CD prune it');
  assert.deepEqual(nsIn(kube), ['acme-prod', 'acme-staging'], 'and its namespace stays in the fence');
  // The API server hands objects back with its own key order: still the same entries, no duplicates.
  const project = kube.objects.get('AppProject/argo/acme')!;
  const spec = project.spec as { destinations: Array<Record<string, string>> };
  kube.objects.set('AppProject/argo/acme', { ...project, spec: { ...spec, destinations: spec.destinations.map((d) => ({ namespace: d.namespace!, server: d.server! })) } });
  await bootstrapTenant(t, ref, async () => [index('prod')], null);
  assert.equal((kube.objects.get('AppProject/argo/acme')!.spec as { destinations: unknown[] }).destinations.length, 2, 'no duplicate destinations');
  assert.equal(kube.objects.get('Secret/argo/repo-acme')?.metadata.labels?.['argocd.argoproj.io/secret-type'], 'repository');
  const done = await narrowTenant(t, ref, [index('prod')], 'staging', { signal: new AbortController().signal, now: () => new Date() });
  assert.equal(done, true);
  assert.deepEqual(envsIn(kube), ['prod']);
  assert.deepEqual(nsIn(kube), ['acme-prod'], 'the AppProject narrows once the Application is gone');
  await narrowTenant(t, ref, [], 'prod', { signal: new AbortController().signal, now: () => new Date() });
  assert.deepEqual([...kube.objects.keys()], [], 'the last removal deletes the ApplicationSets, the AppProject and the repo Secret');
});

test('bootstrap writes carry the live resourceVersion; a Conflict (someone widened meanwhile) is read again', async () => {
  const kube = memoryKube();
  let conflicted = false;
  const applied: Array<string | undefined> = [];
  const racing: ClusterClient = {
    ...kube,
    apply: async (o) => {
      applied.push(o.metadata.resourceVersion as string | undefined);
      if (o.kind === 'ApplicationSet' && o.metadata.resourceVersion && !conflicted && (conflicted = true)) throw Object.assign(new Error('Conflict'), { reason: 'Conflict', upstreamStatus: 409 });
      return kube.apply({ ...o, metadata: { ...o.metadata, resourceVersion: String(Number((o.metadata.resourceVersion as string | undefined) ?? 0) + 1) } });
    },
  };
  const t = { kube: racing, namespace: 'argo' };
  await bootstrapTenant(t, ref, async () => [index('prod')], null);
  assert.deepEqual(applied, [undefined, undefined, undefined], 'first install: nothing to precondition on');
  applied.length = 0;
  await bootstrapTenant(t, ref, async () => [index('staging')], null);
  assert.deepEqual(envsIn(kube), ['prod', 'staging']);
  assert.ok(applied.every((rv) => rv !== undefined), 'every update is conditioned on what was read');
  assert.equal(conflicted, true, 'the conflict was met, and the bootstrap read again and succeeded');
});

test('a refresh is asked once until Argo CD has done it: no second hard refresh queued behind a pending one', async () => {
  const kube = memoryKube();
  const t = { kube, namespace: 'argo' };
  assert.equal(await requestRefresh(t, 'acme-prod'), false, 'no Application yet: nothing to ask');
  kube.objects.set('Application/argo/acme-prod', { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'acme-prod', namespace: 'argo' } });
  assert.equal(await requestRefresh(t, 'acme-prod'), true);
  const asked = kube.objects.get('Application/argo/acme-prod')!;
  assert.equal(asked.metadata.annotations?.['argocd.argoproj.io/refresh'], 'hard');
  assert.equal(refreshPending(asked), true);
  assert.equal(await requestRefresh(t, 'acme-prod'), false, 'still pending: not asked again');
  // Argo CD refreshed and removed the annotation: the next ask goes through.
  kube.objects.set('Application/argo/acme-prod', { ...asked, metadata: { name: 'acme-prod', namespace: 'argo', annotations: {} } });
  assert.equal(await requestRefresh(t, 'acme-prod'), true);
});

test('guard rails: a live AppProject of the older layout is fenced before the commit; bootstrap never permits them again', async () => {
  const kube = memoryKube();
  const t = { kube, namespace: 'argo' };
  assert.equal(await fenceGuardRails(t, 'acme'), false, 'no AppProject yet: nothing to fence');
  // What an older Fleetplane bootstrapped: its Namespace by name, the guard-rail kinds among the rest.
  const legacy = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'acme', namespace: 'argo', resourceVersion: '7' },
    spec: {
      sourceRepos: ['http://git/acme.git'], destinations: [{ server: 'https://c', namespace: 'acme-prod' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'acme-prod' }],
      namespaceResourceWhitelist: [{ group: '', kind: 'LimitRange' }, { group: '', kind: 'ResourceQuota' }, { group: 'apps', kind: 'Deployment' }, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }],
    },
  };
  kube.objects.set('AppProject/argo/acme', legacy);
  assert.equal(await fenceGuardRails(t, 'acme'), true);
  const fenced = kube.objects.get('AppProject/argo/acme')!.spec as Record<string, unknown>;
  assert.deepEqual(fenced.clusterResourceWhitelist, []);
  assert.deepEqual(fenced.namespaceResourceWhitelist, [{ group: 'apps', kind: 'Deployment' }], 'the rest of the project untouched');
  assert.deepEqual(fenced.namespaceResourceBlacklist, [{ group: '', kind: 'LimitRange' }, { group: '', kind: 'ResourceQuota' }, { group: 'networking.k8s.io', kind: 'NetworkPolicy' }]);
  assert.deepEqual(fenced.clusterResourceBlacklist, [{ group: '', kind: 'Namespace' }]);
  assert.deepEqual(fenced.destinations, legacy.spec.destinations);
  assert.equal(await fenceGuardRails(t, 'acme'), false, 'already fenced: no write');
  // A bootstrap over the legacy project (widening keeps live entries) still drops the guard-rail kinds.
  kube.objects.set('AppProject/argo/acme', legacy);
  await bootstrapTenant(t, ref, async () => [index('prod')], null);
  const widened = kube.objects.get('AppProject/argo/acme')!.spec as Record<string, Array<{ kind: string }>>;
  assert.ok(!widened.namespaceResourceWhitelist!.some((k) => ['LimitRange', 'ResourceQuota', 'NetworkPolicy'].includes(k.kind)), JSON.stringify(widened.namespaceResourceWhitelist));
  assert.deepEqual(widened.clusterResourceWhitelist, []);
  assert.deepEqual(widened.namespaceResourceBlacklist!.map((k) => k.kind), ['LimitRange', 'ResourceQuota', 'NetworkPolicy']);
});

test('taking a guard rail over strips Argo CD\'s tracking: the annotation, and the instance label only when it names the Application', () => {
  const desired = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota', namespace: 'acme-prod', labels: { a: '1' } } };
  const live = (annotations: Record<string, string>, labels: Record<string, string>) => ({ ...desired, metadata: { ...desired.metadata, annotations, labels } });
  assert.equal(trackingStrip(live({}, { a: '1' }), desired, 'acme-prod-1234'), null, 'nothing to strip: no patch');
  assert.deepEqual(trackingStrip(live({ 'argocd.argoproj.io/tracking-id': 'acme-prod-1234:/ResourceQuota:acme-prod/quota' }, {}), desired, 'acme-prod-1234'), { annotations: { 'argocd.argoproj.io/tracking-id': null } });
  assert.deepEqual(trackingStrip(live({}, { 'app.kubernetes.io/instance': 'acme-prod-1234' }), desired, 'acme-prod-1234'), { labels: { 'app.kubernetes.io/instance': null } });
  assert.equal(trackingStrip(live({}, { 'app.kubernetes.io/instance': 'cache' }), desired, 'acme-prod-1234'), null, 'a chart\'s own instance label is not Argo CD\'s');
  const ownLabel = { ...desired, metadata: { ...desired.metadata, labels: { 'app.kubernetes.io/instance': 'acme-prod-1234' } } };
  assert.equal(trackingStrip(ownLabel, ownLabel, 'acme-prod-1234'), null, 'the object itself carries that label: kept');
});

/** An in-memory API server that judges resourceVersion preconditions as the real one does (409 on a stale one). */
function conditionalKube(): ClusterClient & { objects: Map<string, KubeObject> } {
  const kube = memoryKube();
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return {
    ...kube,
    apply: async (o) => {
      const live = kube.objects.get(key(o));
      const rv = o.metadata.resourceVersion as string | undefined;
      if (rv !== undefined && live?.metadata.resourceVersion !== rv) throw Object.assign(new Error('Conflict'), { reason: 'Conflict', upstreamStatus: 409 });
      const next = String(Number((live?.metadata.resourceVersion as string | undefined) ?? 0) + 1);
      return kube.apply({ ...o, metadata: { ...o.metadata, resourceVersion: next } });
    },
  };
}

const copyIndex = (env: string, cluster: string) => renderEnvironmentTree({
  id: `r-${env}`, tenant: 'acme', environment: env, blueprint: 'b', version: '1', helmValues: [],
  objects: [{ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `acme-${env}` } }, hash: 'h' }],
}, { cluster, server: `https://${cluster}`, namespace: `acme-${env}` }, { copy: { cluster, application: `acme-${env}-${cluster}` } }).index;

const appsIn = (k: ReturnType<typeof memoryKube>) => ((k.objects.get('ApplicationSet/argo/acme')?.spec as { generators: Array<{ list: { elements: Array<Record<string, string>> } }> }).generators[0]!.list.elements.map((e) => `${e.environment}:${e.path}`)).sort();

test("a delivery that read the repo before a move's copy was committed does not drop the copy's element (ADR 1030)", async () => {
  const kube = conditionalKube();
  const t = { kube, namespace: 'argo' };
  let repo = [index('prod'), index('staging')];
  await bootstrapTenant(t, ref, async () => repo, null);
  const before = appsIn(kube);
  // A delivery of staging reads the repo ([prod, staging]); right after that read, a move of prod
  // commits its copy on c2 and bootstraps; then the delivery writes what it read.
  let moved = false;
  await bootstrapTenant(t, ref, async () => {
    const seen = repo;
    if (!moved) {
      moved = true;
      repo = [index('prod'), copyIndex('prod', 'c2'), index('staging')];
      await bootstrapTenant(t, ref, async () => repo, null);
      assert.equal(appsIn(kube).length, before.length + 1, "the move's bootstrap added the copy's element");
    }
    return seen;
  }, null);
  const after = appsIn(kube);
  assert.equal(after.length, before.length + 1, `the copy's element survives the stale delivery: ${after.join(', ')}`);
  assert.ok(after.some((a) => a.includes('copies/c2')), after.join(', '));
});
