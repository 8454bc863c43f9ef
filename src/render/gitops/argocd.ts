// The Argo CD objects that point at a tenant's repo: one AppProject fencing the tenant in and two
// ApplicationSets whose list generators yield one Application per environment directory (and one
// per Helm-chart component). Elements come from the environments' revision.json files, so these
// objects are a pure function of the tree. Elements carry placement only (no revision id): the
// ApplicationSets change when environments are added, moved or removed, not on every upgrade.
//
// The fence (issue #12 point 5): sourceRepos = the tenant's repo (and the chart repos it uses);
// destinations = exactly its (server, namespace) pairs; cluster-scoped objects only by name (whatever
// its revisions render cluster-scoped besides the Namespaces, each by name: usually nothing); namespaced
// kinds only those its revisions render plus the Helm chart kinds. The guard rails (Namespace,
// ResourceQuota, LimitRange, NetworkPolicy: layout.ts) are never permitted and are blacklisted as
// well: the driver applies them out of band, and a project that does not permit a kind also hides
// live objects of it from its Applications, so Argo CD can neither loosen nor prune them.
// Argo CD does not check cluster-scoped objects against destinations, so without the names a tenant
// repo could create or relabel any Namespace. Application names are hashed like namespaces, so two
// tenants never produce the same one.
import { GITOPS_BRANCH } from '../../domain/gitops.ts';
import { shortHash } from '../../domain/naming.ts';
import { LABELS, MANAGED_BY, type KubeObject } from '../../domain/types.ts';
import { GUARD_RAIL_KINDS, assertPathSegment, isGuardRailKind, type RevisionIndex } from './layout.ts';
import { SYNC_SERVICE_ACCOUNT } from './sync-identity.ts';

export const ARGOCD_NAMESPACE = 'argocd';
export const ARGO_API = 'argoproj.io/v1alpha1';
export { GITOPS_BRANCH } from '../../domain/gitops.ts';

/**
 * Namespaced kinds a Helm-chart component may render (the charts' own objects are not in
 * revision.json). The default blueprint's cache chart renders StatefulSet, Service, ConfigMap,
 * ServiceAccount and PodDisruptionBudget (its own NetworkPolicy is off, and a chart may not bring
 * one: NetworkPolicies are guard rails, applied out of band).
 */
export const CHART_KINDS: ReadonlyArray<{ group: string; kind: string }> = [
  { group: '', kind: 'ConfigMap' }, { group: '', kind: 'Service' }, { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'StatefulSet' }, { group: 'apps', kind: 'Deployment' },
  { group: 'policy', kind: 'PodDisruptionBudget' },
];

/** What every tenant AppProject forbids outright: the guard-rail kinds (namespaced by kind, Namespaces by any name). */
export const NAMESPACE_RESOURCE_BLACKLIST: ReadonlyArray<{ group: string; kind: string }> =
  GUARD_RAIL_KINDS.filter((g) => g.namespaced).map(({ group, kind }) => ({ group, kind }));
export const CLUSTER_RESOURCE_BLACKLIST: ReadonlyArray<{ group: string; kind: string }> =
  GUARD_RAIL_KINDS.filter((g) => !g.namespaced).map(({ group, kind }) => ({ group, kind }));

export interface TenantRepoRef {
  tenant: string;
  /** URL Argo CD clones from (never carries credentials). */
  repoURL: string;
  argocdNamespace?: string;
}

function tenantLabels(tenant: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.tenant]: tenant };
}

/** By environment, then by Application (an environment and its move copy, in a stable order). */
function byEnvironment(envs: RevisionIndex[]): RevisionIndex[] {
  const key = (e: RevisionIndex) => `${e.environment}\u0000${e.application ?? ''}`;
  return [...envs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `<head>-<8 hex>` of at most 63 characters (Application names double as label values). */
function hashedName(parts: string[]): string {
  const hash = shortHash(parts.join('\u0000'));
  const head = parts.join('-').slice(0, 63 - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/**
 * The environment's Application: `<tenant>-<env>-<hash of (tenant, env)>`. Always hashed: tenant
 * `acme` env `eu-prod` and tenant `acme-eu` env `prod` join to the same text but hash apart.
 */
export function applicationName(tenant: string, env: string): string {
  return hashedName([tenant, env]);
}

/** The Application of one Helm-chart component of an environment. */
export function chartApplicationName(tenant: string, env: string, component: string): string {
  return hashedName([tenant, env, component]);
}

/**
 * The Application of an environment's copy on `cluster` (a GitOps move's target, ADR 1030):
 * `<tenant>-<env>-to-<cluster>-<hash>`. Four parts hashed (a component's Application hashes three,
 * a copy's component five), so it never equals another Application's name.
 */
export function copyApplicationName(tenant: string, env: string, cluster: string): string {
  return hashedName([tenant, env, 'to', cluster]);
}

/** The chart Application of one component of an environment's copy on `cluster`. */
export function copyChartApplicationName(tenant: string, env: string, component: string, cluster: string): string {
  return hashedName([tenant, env, component, 'to', cluster]);
}

/** The Application that syncs an index (its own, else the environment's original one). */
export function applicationOf(tenant: string, e: Pick<RevisionIndex, 'environment' | 'application'>): string {
  return e.application ?? applicationName(tenant, e.environment);
}

/** The manifests directory an index's Application reads. */
export function manifestsDirOf(e: Pick<RevisionIndex, 'environment' | 'manifestsDir'>): string {
  return e.manifestsDir ?? `environments/${e.environment}/manifests`;
}

/** Every Application an index yields: its own and one per chart component (names as the ApplicationSets render them). */
export function applicationsOfIndex(tenant: string, e: Pick<RevisionIndex, 'environment' | 'application' | 'helm' | 'placement'>): string[] {
  const charts = e.helm.filter((h) => h.repo).map((h) => (e.application ? copyChartApplicationName(tenant, e.environment, h.component, e.placement.cluster) : chartApplicationName(tenant, e.environment, h.component)));
  return [applicationOf(tenant, e), ...charts];
}

/** ApplicationSet names: tenant slugs are DNS labels (no '.'), so `<tenant>.charts` is no tenant's name. */
export const applicationSetName = (tenant: string) => tenant;
export const chartApplicationSetName = (tenant: string) => `${tenant}.charts`;
/** The tenant's repository credential Secret in the Argo CD namespace. */
export const repoSecretName = (tenant: string) => `repo-${tenant}`;

/** Chart repositories the tenant's Helm-chart components come from (sorted, unique). */
function chartRepos(envs: RevisionIndex[]): string[] {
  return [...new Set(envs.flatMap((e) => e.helm.map((h) => h.repo).filter((r): r is string => !!r)))].sort();
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

function uniqueSorted<T>(items: T[], key: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const i of items) m.set(key(i), i);
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/**
 * Cluster-scoped objects rendered without a namespace, each by name; never a guard rail (an index
 * written before the guard rails left the repo still lists its Namespace among its manifests).
 */
function clusterWhitelist(envs: RevisionIndex[]): Array<{ group: string; kind: string; name: string }> {
  const items = envs.flatMap((e) => e.manifests.filter((m) => !m.namespace).map((m) => ({ group: groupOf(m.apiVersion), kind: m.kind, name: m.name })));
  return uniqueSorted(items.filter((i) => !isGuardRailKind(i.group, i.kind)), (i) => `${i.group}\u0000${i.kind}\u0000${i.name}`);
}

/** Namespaced kinds the revisions render, plus the chart kinds when a chart component is used; never a guard rail. */
function namespacedWhitelist(envs: RevisionIndex[]): Array<{ group: string; kind: string }> {
  const rendered = envs.flatMap((e) => e.manifests.filter((m) => m.namespace).map((m) => ({ group: groupOf(m.apiVersion), kind: m.kind })));
  const charts = envs.some((e) => e.helm.some((h) => h.repo)) ? CHART_KINDS : [];
  return uniqueSorted([...rendered, ...charts].filter((i) => !isGuardRailKind(i.group, i.kind)), (i) => `${i.group}\u0000${i.kind}`);
}

export function appProject(ref: TenantRepoRef, envs: RevisionIndex[]): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  const destinations = uniqueSorted(
    envs.flatMap((e) => [e.placement.namespace, ...e.helm.map((h) => h.namespace ?? e.placement.namespace)].map((namespace) => ({ server: e.placement.server, namespace }))),
    (d) => `${d.server}|${d.namespace}`,
  );
  return {
    apiVersion: ARGO_API,
    kind: 'AppProject',
    metadata: { name: ref.tenant, namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      description: `Fleetplane tenant ${ref.tenant}`,
      sourceRepos: [ref.repoURL, ...chartRepos(envs)],
      destinations,
      // Argo CD syncs each namespace as its own fleetplane-sync account (sync-identity.ts) when
      // application.sync.impersonation.enabled is on; with it off this list is ignored.
      destinationServiceAccounts: destinations.map((d) => ({ ...d, defaultServiceAccount: SYNC_SERVICE_ACCOUNT })),
      clusterResourceWhitelist: clusterWhitelist(envs),
      clusterResourceBlacklist: CLUSTER_RESOURCE_BLACKLIST.map((k) => ({ ...k })),
      namespaceResourceWhitelist: namespacedWhitelist(envs),
      namespaceResourceBlacklist: NAMESPACE_RESOURCE_BLACKLIST.map((k) => ({ ...k })),
      orphanedResources: { warn: true },
    },
  };
}

/**
 * The tenant repo's credential for Argo CD: a repository Secret scoped to the tenant's AppProject
 * (`project`), so no other project's Applications may use it.
 */
export function repositorySecret(ref: TenantRepoRef, creds: { username: string; password: string }): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: repoSecretName(ref.tenant), namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE,
      labels: { ...tenantLabels(ref.tenant), 'argocd.argoproj.io/secret-type': 'repository' },
    },
    stringData: { type: 'git', url: ref.repoURL, username: creds.username, password: creds.password, project: ref.tenant },
  };
}

const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ServerSideApply=true', 'PruneLast=true'],
  // refresh: a retry syncs the newest commit, not the one that failed: without it a fix (or a
  // rollback's revert commit) pushed while a bad commit is being retried waits out all five retries.
  retry: { limit: 5, refresh: true, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
};

export function applicationSet(ref: TenantRepoRef, envs: RevisionIndex[]): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  const elements = byEnvironment(envs).map((e) => ({
    app: applicationOf(ref.tenant, e),
    environment: e.environment,
    path: manifestsDirOf(e),
    cluster: e.placement.cluster,
    server: e.placement.server,
    namespace: e.placement.namespace,
  }));
  return {
    apiVersion: ARGO_API,
    kind: 'ApplicationSet',
    metadata: { name: applicationSetName(ref.tenant), namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      template: {
        metadata: {
          name: '{{.app}}',
          labels: { ...tenantLabels(ref.tenant), [LABELS.environment]: '{{.environment}}' },
          // Deleting the Application (environment directory removed) deletes its objects too.
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: ref.tenant,
          source: {
            repoURL: ref.repoURL,
            targetRevision: GITOPS_BRANCH,
            // Each element names its directory: a moving environment's copy reads its own (ADR 1030).
            path: '{{.path}}',
            directory: { recurse: false },
          },
          destination: { server: '{{.server}}', namespace: '{{.namespace}}' },
          syncPolicy: SYNC_POLICY,
        },
      },
    },
  };
}

/**
 * Helm-chart components: one Application per (environment, component), rendering the vendor chart
 * with the values file committed under environments/<env>/helm/ (multi-source, `$values` ref).
 */
export function chartApplicationSet(ref: TenantRepoRef, envs: RevisionIndex[]): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  const elements = byEnvironment(envs).flatMap((e) => e.helm.filter((h) => h.repo).map((h) => ({
    app: e.application ? copyChartApplicationName(ref.tenant, e.environment, h.component, e.placement.cluster) : chartApplicationName(ref.tenant, e.environment, h.component),
    environment: e.environment, component: h.component, server: e.placement.server, namespace: h.namespace ?? e.placement.namespace,
    chartRepo: h.repo!, chart: h.chart, chartVersion: h.chartVersion, releaseName: h.releaseName ?? h.component, valuesFile: h.file,
  })));
  return {
    apiVersion: ARGO_API,
    kind: 'ApplicationSet',
    metadata: { name: chartApplicationSetName(ref.tenant), namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      template: {
        metadata: {
          name: '{{.app}}',
          labels: { ...tenantLabels(ref.tenant), [LABELS.environment]: '{{.environment}}', [LABELS.component]: '{{.component}}' },
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: ref.tenant,
          sources: [
            { repoURL: '{{.chartRepo}}', chart: '{{.chart}}', targetRevision: '{{.chartVersion}}', helm: { releaseName: '{{.releaseName}}', valueFiles: ['$values/{{.valuesFile}}'] } },
            { repoURL: ref.repoURL, targetRevision: GITOPS_BRANCH, ref: 'values' },
          ],
          destination: { server: '{{.server}}', namespace: '{{.namespace}}' },
          syncPolicy: SYNC_POLICY,
        },
      },
    },
  };
}
