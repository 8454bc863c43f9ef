// The identity Argo CD syncs an environment as (issue #12 point 5: sync impersonation). The tenant's
// AppProject names `fleetplane-sync` as the destination service account of each of its namespaces
// (spec.destinationServiceAccounts), so with `application.sync.impersonation.enabled` Argo CD applies
// and prunes that environment's manifests as system:serviceaccount:<namespace>:fleetplane-sync, and the
// API server's RBAC — not only Argo CD's AppProject checks — keeps a tenant repo inside its namespace.
// The account's rights: every kind Fleetplane renders into a namespace (and the Helm chart kinds), in
// that namespace only, except the guard rails (ResourceQuota, LimitRange, NetworkPolicy: layout.ts),
// which the driver applies out of band; nothing cluster-wide (not even its own Namespace, also a guard
// rail); `bind`/`escalate` on Roles of that namespace, because the rendered tenant-admin and
// secret-reader Roles grant reads this account does not hold (a Role and its RoleBinding only ever
// reach their own namespace).
//
// These objects cannot come from the tenant repo (the account would have to grant itself its rights):
// the GitOps driver applies them out of band, with the guard rails and the environment's Secrets.
import { LABELS, MANAGED_BY, type KubeObject } from '../../domain/types.ts';

export const SYNC_SERVICE_ACCOUNT = 'fleetplane-sync';

/**
 * API group → resources of every namespaced kind the renderer emits (render/) or a chart component may
 * (CHART_KINDS), the guard rails excepted.
 */
export const SYNC_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  '': ['configmaps', 'services', 'serviceaccounts', 'persistentvolumeclaims'],
  apps: ['deployments', 'statefulsets'],
  autoscaling: ['horizontalpodautoscalers'],
  batch: ['cronjobs', 'jobs'],
  policy: ['poddisruptionbudgets'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings'],
  'gateway.networking.k8s.io': ['httproutes'],
  'external-secrets.io': ['externalsecrets', 'secretstores'],
  'monitoring.coreos.com': ['prometheusrules', 'servicemonitors'],
  'serving.kserve.io': ['inferenceservices'],
  'serving.knative.dev': ['services'],
  'keda.sh': ['scaledobjects'],
  'trainer.kubeflow.org': ['trainingruntimes', 'trainjobs'],
};

/** Kind → resource of the kinds above (the API server's plural), for checks of rendered objects. */
export const SYNC_KIND_RESOURCES: Readonly<Record<string, string>> = {
  ConfigMap: 'configmaps', Service: 'services', ServiceAccount: 'serviceaccounts', PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments', StatefulSet: 'statefulsets',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers', CronJob: 'cronjobs', Job: 'jobs', PodDisruptionBudget: 'poddisruptionbudgets',
  Role: 'roles', RoleBinding: 'rolebindings', HTTPRoute: 'httproutes', ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores', PrometheusRule: 'prometheusrules', ServiceMonitor: 'servicemonitors', InferenceService: 'inferenceservices',
  ScaledObject: 'scaledobjects', TrainingRuntime: 'trainingruntimes', TrainJob: 'trainjobs',
};

const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RBAC = 'rbac.authorization.k8s.io/v1';

/**
 * The ClusterRole/ClusterRoleBinding pair that let the account patch its own Namespace, before the
 * Namespace became a guard rail. No longer rendered: the driver deletes it (delivery and offboarding).
 */
export const syncClusterRoleName = (namespace: string) => `fleetplane-sync:${namespace}`;

/** ServiceAccount, Role and RoleBinding in the namespace; nothing cluster-scoped. */
export function syncIdentityObjects(tenant: string, namespace: string): KubeObject[] {
  const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.tenant]: tenant };
  const meta = (name: string, ns?: string) => ({ name, ...(ns ? { namespace: ns } : {}), labels });
  const subject = { kind: 'ServiceAccount', name: SYNC_SERVICE_ACCOUNT, namespace };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(SYNC_SERVICE_ACCOUNT, namespace), automountServiceAccountToken: false },
    {
      apiVersion: RBAC, kind: 'Role', metadata: meta(SYNC_SERVICE_ACCOUNT, namespace),
      rules: [
        ...Object.entries(SYNC_RESOURCES).map(([group, resources]) => ({ apiGroups: [group], resources: [...resources], verbs: WRITE })),
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['bind', 'escalate'] },
      ],
    },
    { apiVersion: RBAC, kind: 'RoleBinding', metadata: meta(SYNC_SERVICE_ACCOUNT, namespace), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SYNC_SERVICE_ACCOUNT }, subjects: [subject] },
  ] as KubeObject[];
}
