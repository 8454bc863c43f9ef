// Apply order over object refs: phases of equal kind rank (src/domain/kinds.ts, the one order of
// kinds) applied one after the other; pruning and removal go in reverse.
import { kindRank } from '../domain/kinds.ts';
import type { ObjectRef } from '../domain/types.ts';

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
