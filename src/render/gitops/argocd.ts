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
      sourceRepos: [ref.repoURL],
      destinations,
      // Environments own their namespace; nothing else cluster-scoped.
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      orphanedResources: { warn: true },
    },
  };
}

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
          syncPolicy: {
            automated: { prune: true, selfHeal: true },
            syncOptions: ['ServerSideApply=true', 'PruneLast=true'],
            retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
          },
        },
      },
    },
  };
}
