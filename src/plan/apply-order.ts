// Apply order: what other objects depend on goes first (Namespaces and CRDs, then RBAC and config,
// then workloads, then routes and monitoring); pruning and removal go in reverse. Same idea as
// Helm's InstallOrder, reduced to the kinds a blueprint renders.
import type { KubeObject, ObjectRef } from '../domain/types.ts';

const ORDER: readonly string[] = [
  'Namespace', 'CustomResourceDefinition', 'PriorityClass', 'ResourceQuota', 'LimitRange',
  'NetworkPolicy', 'ServiceAccount', 'Secret', 'ConfigMap', 'StorageClass', 'PersistentVolume',
  'PersistentVolumeClaim', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding',
  'Service', 'DaemonSet', 'Deployment', 'StatefulSet', 'Job', 'CronJob',
  'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Ingress', 'HTTPRoute', 'Gateway',
  'ServiceMonitor', 'PodMonitor', 'PrometheusRule',
];

/** Rank of a kind in apply order; unknown kinds (custom resources) go after the known ones. */
export function kindRank(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i === -1 ? ORDER.length : i;
}

export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** Stable identity of an object; apiVersion's version is left out so v1beta1 -> v1 is not a prune. */
export function refKey(ref: ObjectRef): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return kindRank(a.kind) - kindRank(b.kind) || refKey(a).localeCompare(refKey(b));
}

/** Sorted copy in apply order (deterministic within a kind). */
export function sortForApply<T extends ObjectRef>(refs: readonly T[]): T[] {
  return [...refs].sort(compareRefs);
}

/** Sorted copy in prune/removal order: the reverse of apply order. */
export function sortForPrune<T extends ObjectRef>(refs: readonly T[]): T[] {
  return [...refs].sort((a, b) => compareRefs(b, a));
}

/**
 * Groups refs into phases of equal rank, in apply order. Objects within a phase don't depend on
 * each other and can be applied concurrently; phases run one after the other.
 */
export function applyPhases<T extends ObjectRef>(refs: readonly T[]): T[][] {
  const phases: T[][] = [];
  let lastRank = -1;
  for (const r of sortForApply(refs)) {
    const rank = kindRank(r.kind);
    if (rank !== lastRank) phases.push([]);
    phases[phases.length - 1]!.push(r);
    lastRank = rank;
  }
  return phases;
}
