// Explicit state machines for operations and environment health. Each machine is an `as const`
// transition map; states change only through its one transition function, which returns the new
// state or an error value (never throws), so callers decide how to report an illegal move.
import type { Health, OperationState } from './types.ts';

export const OPERATION_TRANSITIONS = {
  pending: { start: 'running', cancel: 'cancelled' },
  running: { succeed: 'succeeded', fail: 'failed', retry: 'pending', cancel: 'cancelled' },
  succeeded: {},
  failed: { retry: 'pending' },
  cancelled: {},
} as const satisfies Record<OperationState, Partial<Record<string, OperationState>>>;

export type OperationEvent = 'start' | 'succeed' | 'fail' | 'retry' | 'cancel';

export const TERMINAL_OPERATION_STATES: ReadonlySet<OperationState> = new Set(['succeeded', 'failed', 'cancelled']);

export type Transition<S> = { ok: true; from: S; to: S } | { ok: false; from: S; error: string };

export interface RetryPolicy {
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5 };

/**
 * The only way an operation changes state. `attempts` is the number of attempts already made;
 * a retry past the policy's limit is refused, so the caller fails the operation instead.
 */
export function transitionOperation(
  from: OperationState,
  event: OperationEvent,
  ctx: { attempts?: number; retry?: RetryPolicy } = {},
): Transition<OperationState> {
  const edges: Partial<Record<OperationEvent, OperationState>> = OPERATION_TRANSITIONS[from];
  const to = edges[event];
  if (!to) return { ok: false, from, error: `operation cannot ${event} when ${from}` };
  if (event === 'retry') {
    const limit = (ctx.retry ?? DEFAULT_RETRY).maxAttempts;
    if ((ctx.attempts ?? 0) >= limit) return { ok: false, from, error: `operation used all ${limit} attempts` };
  }
  return { ok: true, from, to };
}

export function isTerminal(state: OperationState): boolean {
  return TERMINAL_OPERATION_STATES.has(state);
}

// ---- environment health ----

export const HEALTH_TRANSITIONS = {
  Unknown: { deploy: 'Progressing', verified: 'Ready', degrade: 'Degraded', fail: 'Failed', offboard: 'Deleting' },
  Progressing: { deploy: 'Progressing', verified: 'Ready', degrade: 'Degraded', fail: 'Failed', offboard: 'Deleting' },
  Ready: { deploy: 'Progressing', verified: 'Ready', degrade: 'Degraded', fail: 'Failed', offboard: 'Deleting', lost: 'Unknown' },
  Degraded: { deploy: 'Progressing', verified: 'Ready', degrade: 'Degraded', fail: 'Failed', offboard: 'Deleting', lost: 'Unknown' },
  Failed: { deploy: 'Progressing', verified: 'Ready', degrade: 'Degraded', offboard: 'Deleting' },
  Deleting: { deleted: 'Deleted', offboard: 'Deleting' },
  Deleted: {},
} as const satisfies Record<Health, Partial<Record<string, Health>>>;

/**
 * deploy: a change started; verified: readiness checks passed; degrade: some checks fail;
 * fail: the change failed; lost: the cluster stopped answering; offboard/deleted: removal.
 */
export type HealthEvent = 'deploy' | 'verified' | 'degrade' | 'fail' | 'lost' | 'offboard' | 'deleted';

export function transitionHealth(from: Health, event: HealthEvent): Transition<Health> {
  const edges: Partial<Record<HealthEvent, Health>> = HEALTH_TRANSITIONS[from];
  const to = edges[event];
  return to ? { ok: true, from, to } : { ok: false, from, error: `environment cannot ${event} when ${from}` };
}

/** Health of a newly added environment: it is being onboarded. */
export const INITIAL_HEALTH: Health = 'Progressing';

// Step lists per operation kind belong to the delivery engine: see WORKFLOWS in src/plan/workflows.ts.
