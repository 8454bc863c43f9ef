// Desired revision vs. the applied-object inventory (kept in the store): what to apply, what to prune.
import type { KubeObject, ObjectRef } from '../domain/types.ts';
import { refOf } from '../domain/kinds.ts';
import { refKey, sortForApply, sortForPrune } from './apply-order.ts';

export interface InventoryDiff {
  /** Every desired object, in apply order (SSA is idempotent; unchanged objects are cheap). */
  apply: KubeObject[];
  /** Inventory entries not in the desired set, in prune order. Namespaces are pruned last. */
  prune: ObjectRef[];
}

export function diffInventory(desired: readonly KubeObject[], inventory: readonly ObjectRef[]): InventoryDiff {
  const want = new Set(desired.map((o) => refKey(refOf(o))));
  const byRef = desired.map((o) => ({ ...refOf(o), obj: o }));
  const prune = inventory.filter((r) => !want.has(refKey(r)));
  return {
    apply: sortForApply(byRef).map((r) => r.obj),
    prune: sortForPrune(dedupe(prune)),
  };
}

export function dedupe(refs: readonly ObjectRef[]): ObjectRef[] {
  const seen = new Map<string, ObjectRef>();
  for (const r of refs) if (!seen.has(refKey(r))) seen.set(refKey(r), r);
  return [...seen.values()];
}
