// Server-side apply field ownership, read from an object's managedFields. Lets one applier yield a
// field another manager has taken on purpose: Fleetplane's delivery leaves an HPA's spec.minReplicas
// to the pre-scaler once the pre-scaler owns it, so a re-delivery does not undo a raised floor.
import type { KubeObject } from '../domain/types.ts';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: Record<string, unknown>;
}

/** True when `manager` owns the field at `path` (e.g. ['spec', 'minReplicas']) of the live object. */
export function ownsField(live: KubeObject | null, manager: string, path: readonly string[]): boolean {
  const entries = (live?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some((e) => e.manager === manager && hasPath(e.fieldsV1, path));
}

function hasPath(fields: Record<string, unknown> | undefined, path: readonly string[]): boolean {
  let node: unknown = fields;
  for (const key of path) {
    if (!node || typeof node !== 'object') return false;
    node = (node as Record<string, unknown>)[`f:${key}`];
  }
  return node !== undefined;
}

/** A copy of `obj` without the field at `path` (the path's parents are kept). */
export function withoutField(obj: KubeObject, path: readonly string[]): KubeObject {
  const copy = structuredClone(obj);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!next || typeof next !== 'object') return copy;
    node = next as Record<string, unknown>;
  }
  delete node[path[path.length - 1]!];
  return copy;
}
