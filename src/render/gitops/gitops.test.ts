import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Revision } from '../../domain/types.ts';
import { canonicalYaml } from '../../domain/canonical.ts';
import { applicationName, applicationSet, appProject, chartApplicationName, copyApplicationName, chartApplicationSet, commitMessage, repositorySecret, environmentDir, parseRevisionIndex, renderArgoFiles, renderEnvironmentTree } from './index.ts';

const placement = { cluster: 'eu-1', server: 'https://10.0.0.1:6443', namespace: 'acme-prod' };

function revision(over: Partial<Revision> = {}): Revision {
  return {
    id: '3f2a9c1', tenant: 'acme', environment: 'prod', blueprint: 'default', version: '1.4.0',
    objects: [
      { object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'acme-prod' } }, hash: 'h-ns' },
      { object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'acme-prod' }, stringData: { password: 'hunter2-very-secret' } }, hash: 'h-sec' },
      { object: { spec: { replicas: 2 }, kind: 'Deployment', apiVersion: 'apps/v1', metadata: { namespace: 'acme-prod', name: 'web', labels: { b: '1', a: '2' } } }, hash: 'h-web' },
      { object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'acme-prod' }, spec: { ports: [{ port: 80 }] } }, hash: 'h-svc' },
    ],
    helmValues: [{ component: 'web', chart: 'web', chartVersion: '1.0.0', yaml: 'replicas: 2' }],
    ...over,
  };
}

test('environment tree: one canonical file per object in apply order, helm values, revision.json', () => {
  const tree = renderEnvironmentTree(revision(), placement);
  assert.deepEqual(Object.keys(tree.files), [
    'environments/prod/manifests/00-namespace-acme-prod.yaml',
    'environments/prod/manifests/01-deployment-web.yaml',
    'environments/prod/manifests/02-service-web.yaml',
    'environments/prod/helm/web.values.yaml',
    'environments/prod/revision.json',
  ]);
  assert.equal(tree.files['environments/prod/manifests/01-deployment-web.yaml'],
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    a: "2"\n    b: "1"\n  name: web\n  namespace: acme-prod\nspec:\n  replicas: 2\n');
  assert.equal(tree.files['environments/prod/helm/web.values.yaml'], 'replicas: 2\n');
  const index = parseRevisionIndex(tree.files['environments/prod/revision.json']!);
  assert.equal(index.revision, '3f2a9c1');
  assert.deepEqual(index.placement, placement);
  assert.deepEqual(index.manifests.map((m) => m.hash), ['h-ns', 'h-web', 'h-svc']);
});

test('a revision delivered held at zero says so in revision.json (same id and hashes as the awake one)', () => {
  const awake = renderEnvironmentTree(revision(), placement);
  const held = renderEnvironmentTree(revision({ hibernated: true }), placement);
  assert.equal(awake.index.hibernated, undefined);
  assert.equal(held.index.hibernated, true);
  assert.equal(held.index.revision, awake.index.revision);
  assert.equal(parseRevisionIndex(held.files[`${held.dir}/revision.json`]!).hibernated, true);
});

test('secrets never reach the tree: listed by name under outOfBand, values handed to the driver', () => {
  const tree = renderEnvironmentTree(revision(), placement);
  const all = Object.values(tree.files).join('\n');
  assert.ok(!all.includes('hunter2-very-secret'));
  assert.ok(!/kind: Secret/.test(all));
  assert.deepEqual(tree.index.outOfBand, [{ apiVersion: 'v1', kind: 'Secret', name: 'db', namespace: 'acme-prod' }]);
  assert.equal(tree.outOfBandObjects.length, 1);
});

test('byte-stable: key order of the input does not change the output', () => {
  const a = renderEnvironmentTree(revision(), placement).files;
  const shuffled = revision();
  shuffled.objects = shuffled.objects.map((o) => ({ ...o, object: reverseKeys(o.object) as typeof o.object }));
  const b = renderEnvironmentTree(shuffled, placement).files;
  assert.deepEqual(a, b);
  assert.equal(canonicalYaml({ metadata: { name: 'x' }, kind: 'K', apiVersion: 'v1', a: { kind: 1, b: 2 } }),
    'apiVersion: v1\nkind: K\nmetadata:\n  name: x\na:\n  b: 2\n  kind: 1\n');
});

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
}

test('same kind and name in two namespaces get distinct files', () => {
  const rev = revision({ objects: [
    { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } }, hash: '1' },
    { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'b' } }, hash: '2' },
  ], helmValues: [] });
  assert.deepEqual(Object.keys(renderEnvironmentTree(rev, placement).files).slice(0, 2), [
    'environments/prod/manifests/00-configmap-a-c.yaml', 'environments/prod/manifests/01-configmap-b-c.yaml']);
});

test('path segments are DNS labels (no traversal through names)', () => {
  for (const bad of ['../x', 'a/b', 'UPPER', '', '-a']) {
    assert.throws(() => environmentDir(bad), /not a DNS label/);
  }
  assert.throws(() => renderEnvironmentTree(revision({ tenant: '../../etc' }), placement), /tenant/);
});

const ref = { tenant: 'acme', repoURL: 'file:///var/lib/fleetplane/git/acme.git' };
const staging = { ...renderEnvironmentTree(revision({ environment: 'staging', id: 'aaa1111' }), { ...placement, namespace: 'acme-staging' }, { guardRails: 'out-of-band' }).index };
const prod = renderEnvironmentTree(revision(), placement, { guardRails: 'out-of-band' }).index;

test('AppProject snapshot: tenant repo only, its destinations only, each synced as its own namespace\'s fleetplane-sync account, no cluster-scoped object, only the kinds it renders, never a guard rail', () => {
  assert.equal(canonicalYaml(appProject(ref, [prod, staging])), `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  labels:
    app.kubernetes.io/managed-by: fleetplane
    fleetplane.io/tenant: acme
  name: acme
  namespace: argocd
spec:
  clusterResourceBlacklist:
    - group: ""
      kind: Namespace
  clusterResourceWhitelist: []
  description: Fleetplane tenant acme
  destinationServiceAccounts:
    - defaultServiceAccount: fleetplane-sync
      namespace: acme-prod
      server: https://10.0.0.1:6443
    - defaultServiceAccount: fleetplane-sync
      namespace: acme-staging
      server: https://10.0.0.1:6443
  destinations:
    - namespace: acme-prod
      server: https://10.0.0.1:6443
    - namespace: acme-staging
      server: https://10.0.0.1:6443
  namespaceResourceBlacklist:
    - group: ""
      kind: LimitRange
    - group: ""
      kind: ResourceQuota
    - group: networking.k8s.io
      kind: NetworkPolicy
  namespaceResourceWhitelist:
    - group: ""
      kind: Service
    - group: apps
      kind: Deployment
  orphanedResources:
    warn: true
  sourceRepos:
    - file:///var/lib/fleetplane/git/acme.git
`);
  // An index written before the guard rails left the repo (its manifests hold them) permits them no more.
  const legacy = renderEnvironmentTree(revision({ objects: [...revision().objects, { object: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'acme-prod' } }, hash: 'h-q' }] }), placement).index;
  assert.ok(legacy.manifests.some((m) => m.kind === 'ResourceQuota') && legacy.manifests.some((m) => m.kind === 'Namespace'));
  assert.deepEqual(appProject(ref, [legacy]).spec, appProject(ref, [prod]).spec);
});

test('guard rails leave the tree: Namespace, ResourceQuota, LimitRange and NetworkPolicies listed by name under guardRails, handed to the driver', () => {
  const rails = [
    { object: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota', namespace: 'acme-prod' }, spec: { hard: { pods: '10' } } }, hash: 'h-q' },
    { object: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'acme-prod' } }, hash: 'h-l' },
    { object: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'acme-prod' } }, hash: 'h-n' },
  ];
  const rev = revision({ objects: [...revision().objects.slice(0, 1), ...rails, ...revision().objects.slice(1)] });
  const tree = renderEnvironmentTree(rev, placement, { guardRails: 'out-of-band' });
  assert.deepEqual(Object.keys(tree.files).filter((f) => f.includes('/manifests/')), ['environments/prod/manifests/00-deployment-web.yaml', 'environments/prod/manifests/01-service-web.yaml']);
  assert.deepEqual(tree.guardRailObjects.map((o) => o.kind), ['Namespace', 'ResourceQuota', 'LimitRange', 'NetworkPolicy'], 'apply order, the Namespace first');
  assert.deepEqual(tree.index.guardRails?.map((r) => `${r.kind}/${r.name}`), ['Namespace/acme-prod', 'ResourceQuota/quota', 'LimitRange/limits', 'NetworkPolicy/default-deny']);
  assert.ok(!Object.values(tree.files).some((f) => /kind: (ResourceQuota|LimitRange|NetworkPolicy|Namespace)\n/.test(f)));
  // In-tree (self-managed bundles): everything stays in the manifests, nothing under guardRails.
  const bundled = renderEnvironmentTree(rev, placement);
  assert.equal(bundled.index.guardRails, undefined);
  assert.equal(bundled.index.manifests.length, 6);
  assert.deepEqual(bundled.guardRailObjects, []);
});

test('ApplicationSet snapshot: list generator, one Application per environment, automated prune+selfHeal, SSA', () => {
  assert.equal(canonicalYaml(applicationSet(ref, [staging, prod])), `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  labels:
    app.kubernetes.io/managed-by: fleetplane
    fleetplane.io/tenant: acme
  name: acme
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - app: acme-prod-f46ae8ad
            cluster: eu-1
            environment: prod
            namespace: acme-prod
            path: environments/prod/manifests
            server: https://10.0.0.1:6443
          - app: acme-staging-dda1ec40
            cluster: eu-1
            environment: staging
            namespace: acme-staging
            path: environments/staging/manifests
            server: https://10.0.0.1:6443
  goTemplate: true
  goTemplateOptions:
    - missingkey=error
  template:
    metadata:
      finalizers:
        - resources-finalizer.argocd.argoproj.io
      labels:
        app.kubernetes.io/managed-by: fleetplane
        fleetplane.io/environment: "{{.environment}}"
        fleetplane.io/tenant: acme
      name: "{{.app}}"
    spec:
      destination:
        namespace: "{{.namespace}}"
        server: "{{.server}}"
      project: acme
      source:
        directory:
          recurse: false
        path: "{{.path}}"
        repoURL: file:///var/lib/fleetplane/git/acme.git
        targetRevision: main
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        retry:
          backoff:
            duration: 10s
            factor: 2
            maxDuration: 3m
          limit: 5
          refresh: true
        syncOptions:
          - ServerSideApply=true
          - PruneLast=true
`);
  assert.deepEqual(Object.keys(renderArgoFiles(ref, [prod])), ['argocd/appproject.yaml', 'argocd/applicationset.yaml', 'argocd/applicationset-charts.yaml']);
});

test('Helm-chart components: one Application per environment and component, vendor chart + committed values', () => {
  const chartRev = revision({ helmValues: [{ component: 'cache', chart: 'redis', chartVersion: '20.6.2', yaml: 'architecture: standalone\n', repo: 'https://charts.bitnami.com/bitnami', releaseName: 'cache', namespace: 'acme-prod' } as Revision['helmValues'][number]] });
  const idx = renderEnvironmentTree(chartRev, placement).index;
  assert.deepEqual(idx.helm, [{ component: 'cache', chart: 'redis', chartVersion: '20.6.2', file: 'environments/prod/helm/cache.values.yaml', repo: 'https://charts.bitnami.com/bitnami', releaseName: 'cache', namespace: 'acme-prod' }]);
  assert.equal(canonicalYaml(chartApplicationSet(ref, [idx, staging])), `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  labels:
    app.kubernetes.io/managed-by: fleetplane
    fleetplane.io/tenant: acme
  name: acme.charts
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - app: acme-prod-cache-47ae3d2d
            chart: redis
            chartRepo: https://charts.bitnami.com/bitnami
            chartVersion: 20.6.2
            component: cache
            environment: prod
            namespace: acme-prod
            releaseName: cache
            server: https://10.0.0.1:6443
            valuesFile: environments/prod/helm/cache.values.yaml
  goTemplate: true
  goTemplateOptions:
    - missingkey=error
  template:
    metadata:
      finalizers:
        - resources-finalizer.argocd.argoproj.io
      labels:
        app.kubernetes.io/managed-by: fleetplane
        fleetplane.io/component: "{{.component}}"
        fleetplane.io/environment: "{{.environment}}"
        fleetplane.io/tenant: acme
      name: "{{.app}}"
    spec:
      destination:
        namespace: "{{.namespace}}"
        server: "{{.server}}"
      project: acme
      sources:
        - chart: "{{.chart}}"
          helm:
            releaseName: "{{.releaseName}}"
            valueFiles:
              - $values/{{.valuesFile}}
          repoURL: "{{.chartRepo}}"
          targetRevision: "{{.chartVersion}}"
        - ref: values
          repoURL: file:///var/lib/fleetplane/git/acme.git
          targetRevision: main
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        retry:
          backoff:
            duration: 10s
            factor: 2
            maxDuration: 3m
          limit: 5
          refresh: true
        syncOptions:
          - ServerSideApply=true
          - PruneLast=true
`);
  const spec = appProject(ref, [idx]).spec as { sourceRepos: string[]; namespaceResourceWhitelist: Array<{ group: string; kind: string }> };
  assert.deepEqual(spec.sourceRepos, ['file:///var/lib/fleetplane/git/acme.git', 'https://charts.bitnami.com/bitnami']);
  assert.ok(spec.namespaceResourceWhitelist.some((k) => k.group === 'apps' && k.kind === 'StatefulSet'), 'the chart kinds join when a chart component is used');
  assert.ok(!spec.namespaceResourceWhitelist.some((k) => k.kind === '*' || k.group === '*'));
});

test('Application names are unique across tenants: acme/eu-prod and acme-eu/prod hash apart (#12 point 5)', () => {
  assert.notEqual(applicationName('acme', 'eu-prod'), applicationName('acme-eu', 'prod'));
  assert.notEqual(chartApplicationName('acme', 'eu-prod', 'cache'), chartApplicationName('acme-eu', 'prod', 'cache'));
  assert.notEqual(chartApplicationName('acme-x', 'y', 'z'), chartApplicationName('acme', 'x-y', 'z'));
  assert.notEqual(applicationName('acme', 'prod-cache'), chartApplicationName('acme', 'prod', 'cache'));
  const long = applicationName('t'.repeat(63), 'e'.repeat(63));
  assert.ok(long.length <= 63 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(long), long);
  assert.notEqual(long, applicationName('t'.repeat(63), `${'e'.repeat(62)}f`), 'cut names still differ by the hash');
});

test('AppProject fence: a cluster-scoped object rendered by a revision is whitelisted by its name only', () => {
  const withCr = renderEnvironmentTree(revision({ objects: [...revision().objects, { object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'acme-prod-reader' } }, hash: 'h-cr' }] }), placement, { guardRails: 'out-of-band' }).index;
  const wl = (appProject(ref, [withCr]).spec as { clusterResourceWhitelist: Array<Record<string, string>> }).clusterResourceWhitelist;
  assert.deepEqual(wl, [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'acme-prod-reader' }]);
  assert.ok(wl.every((w) => w.name && !/[*?[]/.test(w.name)), 'no wildcard names');
});

test('repository Secret: scoped to the tenant project, labelled for Argo CD, credentials only in stringData', () => {
  const s = repositorySecret(ref, { username: 'acme', password: 's3cret' });
  assert.equal(s.metadata.name, 'repo-acme');
  assert.equal(s.metadata.labels?.['argocd.argoproj.io/secret-type'], 'repository');
  assert.deepEqual(s.stringData, { type: 'git', url: ref.repoURL, username: 'acme', password: 's3cret', project: 'acme' });
});

test('commit message: scannable subject, machine-readable trailers', () => {
  assert.equal(commitMessage({ action: 'onboard', tenant: 'acme', environment: 'prod', blueprint: 'default', version: '1.4.0', revision: '3f2a9c1', operationId: 'op-1' }),
    'onboard acme/prod: blueprint default@1.4.0, revision 3f2a9c1\n\nFleetplane-Tenant: acme\nFleetplane-Environment: prod\nFleetplane-Revision: 3f2a9c1\nFleetplane-Operation: op-1\n');
  assert.equal(commitMessage({ action: 'offboard', tenant: 'acme', environment: 'prod' }).split('\n')[0], 'offboard acme/prod');
});

test('a GitOps move copy (ADR 1030): its own directory, Application, path and destination next to the original', () => {
  const target = { cluster: 'eu-2', server: 'https://10.0.0.2:6443', namespace: placement.namespace };
  const app = copyApplicationName('acme', 'prod', 'eu-2');
  const copy = renderEnvironmentTree(revision(), target, { guardRails: 'out-of-band', copy: { cluster: 'eu-2', application: app } });
  assert.equal(copy.dir, 'environments/prod/copies/eu-2');
  assert.ok(Object.keys(copy.files).every((f) => f.startsWith('environments/prod/copies/eu-2/')), Object.keys(copy.files).join(','));
  assert.ok(copy.files['environments/prod/copies/eu-2/revision.json']);
  assert.deepEqual([copy.index.application, copy.index.manifestsDir], [app, 'environments/prod/copies/eu-2/manifests']);
  // Never the name of the original, of a component, or of the copy on another cluster.
  assert.notEqual(app, applicationName('acme', 'prod'));
  assert.notEqual(app, copyApplicationName('acme', 'prod', 'eu-3'));
  assert.notEqual(app, chartApplicationName('acme', 'prod', 'to'));
  assert.match(app, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS label (it is also a label value)');
  const set = applicationSet(ref, [copy.index, prod]);
  const elements = (set.spec as { generators: Array<{ list: { elements: Array<Record<string, string>> } }> }).generators[0]!.list.elements;
  assert.deepEqual(elements.map((e) => [e.app, e.path, e.server]), [
    [applicationName('acme', 'prod'), 'environments/prod/manifests', placement.server],
    [app, 'environments/prod/copies/eu-2/manifests', target.server],
  ]);
  const destinations = (appProject(ref, [prod, copy.index]).spec as { destinations: Array<{ server: string }> }).destinations.map((d) => d.server);
  assert.deepEqual([...new Set(destinations)].sort(), [placement.server, target.server].sort());
  // The original's tree is unchanged by the option's existence.
  assert.equal(prod.application, undefined);
  assert.equal(prod.manifestsDir, undefined);
});
