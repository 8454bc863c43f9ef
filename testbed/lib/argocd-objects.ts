// Kubernetes objects the testbed's Argo CD needs, as plain JSON (applied with kubectl server-side):
//   on the management cluster: its namespace, the settings ConfigMaps/Secret the controllers read, one
//   service account per controller with a namespaced Role (no cluster-wide rights of their own);
//   on every destination cluster: a service account `argocd-manager` bound to a ClusterRole, whose
//   token goes into the cluster Secret Argo CD connects with (what `argocd cluster add` creates).
export const ARGOCD_NAMESPACE = 'fp-argocd';
export const MANAGER_SA = 'argocd-manager';
export const CONTROLLER_SA = 'argocd-application-controller';
export const APPSET_SA = 'argocd-applicationset-controller';
const PART_OF = { 'app.kubernetes.io/part-of': 'argocd', 'app.kubernetes.io/managed-by': 'fleetplane-testbed' };

type Obj = Record<string, unknown>;

function meta(name: string, namespace?: string, labels: Record<string, string> = {}): Obj {
  return { name, ...(namespace ? { namespace } : {}), labels: { ...PART_OF, ...labels } };
}

function tokenSecret(sa: string, namespace: string): Obj {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { ...meta(`${sa}-token`, namespace), annotations: { 'kubernetes.io/service-account.name': sa } },
  };
}

export const tokenSecretName = (sa: string) => `${sa}-token`;

const ARGO_RESOURCES = ['applications', 'applicationsets', 'appprojects'];

function namespacedRole(name: string, namespace: string): Obj[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, namespace) },
    tokenSecret(name, namespace),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name, namespace),
      rules: [
        { apiGroups: ['argoproj.io'], resources: ARGO_RESOURCES, verbs: ['*'] },
        { apiGroups: ['argoproj.io'], resources: ARGO_RESOURCES.map((r) => `${r}/status`).concat(ARGO_RESOURCES.map((r) => `${r}/finalizers`)), verbs: ['*'] },
        { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'list'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['*'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(name, namespace),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ];
}

export interface ArgocdSettings {
  /** server.secretkey of argocd-secret (generated once, kept in the state dir). */
  serverSecretKey: string;
  /** Seconds between reconciliations (Argo CD's default is 180). */
  reconciliationSeconds: number;
  /** The Redis password; the controllers also read it from Secret argocd-redis (key auth). */
  redisPassword: string;
}

const healthyBecause = (why: string) => `hs = {}\nhs.status = "Healthy"\nhs.message = "testbed: ${why}"\nreturn hs\n`;
const TESTBED_HEALTH: Record<string, string> = {
  'resource.customizations.health.external-secrets.io_ExternalSecret': healthyBecause('no external-secrets controller runs'),
  // Each environment's own SecretStore (#12) waits for the same absent controller to set Ready.
  'resource.customizations.health.external-secrets.io_SecretStore': healthyBecause('no external-secrets controller runs'),
  'resource.customizations.health.gateway.networking.k8s.io_HTTPRoute': healthyBecause('no Gateway controller runs'),
  'resource.customizations.health.autoscaling_HorizontalPodAutoscaler': healthyBecause('no metrics server runs'),
};

/** Everything on the management cluster except the cluster Secrets. */
export function managementObjects(s: ArgocdSettings): Obj[] {
  const ns = ARGOCD_NAMESPACE;
  const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, ns), data });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns) },
    cm('argocd-cm', {
      // The destinations are the testbed clusters by URL; kubernetes.default.svc means nothing here.
      'cluster.inClusterEnabled': 'false',
      'timeout.reconciliation': `${s.reconciliationSeconds}s`,
      'application.resourceTrackingMethod': 'annotation',
      'admin.enabled': 'false',
      // Syncs run as each destination namespace's fleetplane-sync account (the AppProject's
      // destinationServiceAccounts, src/render/gitops/sync-identity.ts), enforced: an Application
      // without a matching account does not sync (Argo CD's default once enabled).
      'application.sync.impersonation.enabled': 'true',
      // The testbed runs no external-secrets operator, no Gateway controller and no metrics server:
      // nothing ever writes the status Argo CD's built-in health checks of these kinds wait for, so
      // they would stay Progressing (HPA: Degraded) forever. Here, and only here, they count as Healthy
      // with a message saying why. Every other kind keeps Argo CD's own health assessment.
      ...TESTBED_HEALTH,
    }),
    cm('argocd-rbac-cm', { 'policy.default': '' }),
    cm('argocd-cmd-params-cm', { 'reposerver.disable.tls': 'true', 'controller.repo.server.plaintext': 'true', 'applicationsetcontroller.enable.leader.election': 'false' }),
    cm('argocd-tls-certs-cm', {}),
    cm('argocd-ssh-known-hosts-cm', {}),
    cm('argocd-gpg-keys-cm', {}),
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: meta('argocd-secret', ns), stringData: { 'server.secretkey': s.serverSecretKey } },
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: meta('argocd-redis', ns), stringData: { auth: s.redisPassword } },
    ...namespacedRole(CONTROLLER_SA, ns),
    ...namespacedRole(APPSET_SA, ns),
  ];
}

/** On a destination cluster: the identity Argo CD deploys with (all resources, like `argocd cluster add`). */
export function destinationObjects(): Obj[] {
  const ns = ARGOCD_NAMESPACE;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(MANAGER_SA, ns) },
    tokenSecret(MANAGER_SA, ns),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('fleetplane-argocd-manager'),
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta('fleetplane-argocd-manager'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'fleetplane-argocd-manager' },
      subjects: [{ kind: 'ServiceAccount', name: MANAGER_SA, namespace: ns }],
    },
  ];
}

/** The cluster Secret Argo CD reads a destination from (declarative setup, secret-type=cluster). */
export function clusterSecret(o: { name: string; server: string; token: string; caPem: string }): Obj {
  const config = { bearerToken: o.token, tlsClientConfig: { insecure: false, caData: Buffer.from(o.caPem).toString('base64') } };
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: meta(`cluster-${o.name}`, ARGOCD_NAMESPACE, { 'argocd.argoproj.io/secret-type': 'cluster', 'fleetplane.io/cluster': o.name }),
    stringData: { name: o.name, server: o.server, config: JSON.stringify(config) },
  };
}

/** A repository Secret: Argo CD sends these credentials (HTTP Basic) when it fetches `url`. */
export function repositorySecret(o: { name: string; url: string; username: string; password: string; type?: 'git' | 'helm'; project?: string }): Obj {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: meta(`repo-${o.name}`, ARGOCD_NAMESPACE, { 'argocd.argoproj.io/secret-type': 'repository' }),
    // `project` scopes the credentials to one AppProject (a tenant's): no other project may use them.
    stringData: { type: o.type ?? 'git', url: o.url, username: o.username, password: o.password, ...(o.project ? { project: o.project } : {}) },
  };
}
