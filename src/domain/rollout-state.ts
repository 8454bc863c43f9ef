// The rollout state machine, as an explicit map. Every change goes through one guarded SQL update
// (Store.rollouts.transition: `WHERE state = ANY(sourcesOf(to))`), so the API and the controller
// never race each other into an illegal state.
import type { RolloutState } from './types.ts';

export const ROLLOUT_TRANSITIONS: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  pending: ['running', 'paused', 'aborted'],
  running: ['paused', 'succeeded', 'failed', 'aborted', 'rolling-back'],
  paused: ['running', 'aborted'],
  succeeded: [],
  failed: [],
  aborted: [],
  // A fleet rollback runs to its end: aborting it would leave some environments on the rejected release.
  'rolling-back': ['rolled-back'],
  'rolled-back': [],
};

export const ROLLOUT_FINAL: ReadonlySet<RolloutState> = new Set(['succeeded', 'failed', 'aborted', 'rolled-back']);

/** States from which `to` may be entered. */
export function sourcesOf(to: RolloutState): RolloutState[] {
  return (Object.keys(ROLLOUT_TRANSITIONS) as RolloutState[]).filter((from) => ROLLOUT_TRANSITIONS[from].includes(to));
}
