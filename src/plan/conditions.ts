// Kubernetes-style conditions on an Environment: set one, keeping lastTransitionTime when the
// status did not change (as meta.SetStatusCondition does).
import type { Condition, Health } from '../domain/types.ts';

export type ConditionType = 'Ready' | 'Progressing' | 'Degraded' | 'Drifted' | 'Published';

export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const prev = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now.toISOString();
  const updated: Condition = { ...next, lastTransitionTime };
  return [...conditions.filter((c) => c.type !== next.type), updated].sort((a, b) => a.type.localeCompare(b.type));
}

export interface StatusReason {
  reason: string;
  message: string;
}

/**
 * Ready/Progressing/Degraded for a health value, with one reason and message; Published too for a
 * self-managed environment (health Published, or once it has had the condition): its revision is
 * out as a bundle and Ready stays False, since nothing of Fleetplane's checks it.
 */
export function conditionsFor(conditions: readonly Condition[], health: Health, why: StatusReason, now: Date): Condition[] {
  const is = (b: boolean): Condition['status'] => (b ? 'True' : 'False');
  let out = setCondition(conditions, { type: 'Ready', status: is(health === 'Ready'), ...why }, now);
  out = setCondition(out, { type: 'Progressing', status: is(health === 'Progressing' || health === 'Deleting'), ...why }, now);
  out = setCondition(out, { type: 'Degraded', status: is(health === 'Degraded' || health === 'Failed'), ...why }, now);
  if (health === 'Published' || conditions.some((c) => c.type === 'Published')) out = setCondition(out, { type: 'Published', status: is(health === 'Published'), ...why }, now);
  return out;
}
