// The Argo CD objects that point at a tenant's repo: one AppProject fencing the tenant in (its repo,
// its clusters and namespaces only) and one ApplicationSet whose list generator yields one
// Application per environment directory. Elements come from the environments' revision.json files,
// so the ApplicationSet is a pure function of the tree. Elements carry placement only (no revision
// id): the ApplicationSet changes when environments are added, moved or removed, not on every upgrade.
import { LABELS, MANAGED_BY, type KubeObject } from '../../domain/types.ts';
import { assertPathSegment, type RevisionIndex } from './layout.ts';

export const ARGOCD_NAMESPACE = 'argocd';
export const ARGO_API = 'argoproj.io/v1alpha1';
export const GITOPS_BRANCH = 'main';

export interface TenantRepoRef {
  tenant: string;
  /** URL Argo CD clones from (never carries credentials). */
  repoURL: string;
  argocdNamespace?: string;
}

function tenantLabels(tenant: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.tenant]: tenant };
}

function byEnvironment(envs: RevisionIndex[]): RevisionIndex[] {
  return [...envs].sort((a, b) => (a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
}

/** Chart repositories the tenant's Helm-chart components come from (sorted, unique). */
function chartRepos(envs: RevisionIndex[]): string[] {
  return [...new Set(envs.flatMap((e) => e.helm.map((h) => h.repo).filter((r): r is string => !!r)))].sort();
}

export function appProject(ref: TenantRepoRef, envs: RevisionIndex[]): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  const seen = new Set<string>();
  const destinations = byEnvironment(envs)
    .map((e) => ({ server: e.placement.server, namespace: e.placement.namespace }))
    .filter((d) => { const k = `${d.server}|${d.namespace}`; return seen.has(k) ? false : (seen.add(k), true); });
  return {
    apiVersion: ARGO_API,
    kind: 'AppProject',
    metadata: { name: ref.tenant, namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      description: `Fleetplane tenant ${ref.tenant}`,
      sourceRepos: [ref.repoURL, ...chartRepos(envs)],
      destinations,
      // Environments own their namespace; nothing else cluster-scoped.
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      orphanedResources: { warn: true },
    },
  };
}

const SYNC_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ServerSideApply=true', 'PruneLast=true'],
  retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
};

export function applicationSet(ref: TenantRepoRef, envs: RevisionIndex[]): KubeObject {
  assertPathSegment(ref.tenant, 'tenant');
  const elements = byEnvironment(envs).map((e) => ({
    environment: e.environment,
    cluster: e.placement.cluster,
    server: e.placement.server,
    namespace: e.placement.namespace,
  }));
  return {
    apiVersion: ARGO_API,
    kind: 'ApplicationSet',
    metadata: { name: ref.tenant, namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      template: {
        metadata: {
          name: `${ref.tenant}-{{.environment}}`,
          labels: { ...tenantLabels(ref.tenant), [LABELS.environment]: '{{.environment}}' },
          // Deleting the Application (environment directory removed) deletes its objects too.
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: ref.tenant,
          source: {
            repoURL: ref.repoURL,
            targetRevision: GITOPS_BRANCH,
            path: 'environments/{{.environment}}/manifests',
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
    environment: e.environment, component: h.component, server: e.placement.server, namespace: h.namespace ?? e.placement.namespace,
    chartRepo: h.repo!, chart: h.chart, chartVersion: h.chartVersion, releaseName: h.releaseName ?? h.component, valuesFile: h.file,
  })));
  return {
    apiVersion: ARGO_API,
    kind: 'ApplicationSet',
    metadata: { name: `${ref.tenant}-charts`, namespace: ref.argocdNamespace ?? ARGOCD_NAMESPACE, labels: tenantLabels(ref.tenant) },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements } }],
      template: {
        metadata: {
          name: `${ref.tenant}-{{.environment}}-{{.component}}`,
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
