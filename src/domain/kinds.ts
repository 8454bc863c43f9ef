// The one order of kinds: what other objects depend on goes first (Namespaces and CRDs, guard rails
// and policy, identity and RBAC, config and secrets, storage, workloads, then services, scaling and
// disruption budgets, routes and monitoring). The renderer lists a revision's objects in this order
// (src/render/index.ts; the order is part of the revision id), the engine applies in phases of it and
// prunes in reverse (src/plan/apply-order.ts), and the GitOps layout numbers manifest files by it.
// Same idea as Helm's InstallOrder, reduced to the kinds Fleetplane renders or meets in a cluster.
import type { KubeObject, ObjectRef } from './types.ts';

export const KIND_ORDER: readonly string[] = [
  'Namespace', 'CustomResourceDefinition', 'PriorityClass', 'ResourceQuota', 'LimitRange', 'NetworkPolicy',
  'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding',
  'Secret', 'ConfigMap', 'SecretStore', 'ExternalSecret', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'ResourceClaimTemplate',
  'DaemonSet', 'Deployment', 'StatefulSet', 'Job', 'CronJob',
  'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget',
  'Gateway', 'HTTPRoute', 'Ingress', 'ServiceMonitor', 'PodMonitor', 'PrometheusRule',
];

const RANK = new Map(KIND_ORDER.map((k, i) => [k, i]));

/** Rank of a kind in apply order; unknown kinds (custom resources) go after the known ones. */
export function kindRank(kind: string): number {
  return RANK.get(kind) ?? KIND_ORDER.length;
}

/** Identity of an object: apiVersion, kind, name and (when namespaced) namespace. */
export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}
