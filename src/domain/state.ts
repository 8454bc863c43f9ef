// Explicit state machines for operations and environment health. Each machine is an `as const`
// transition map and the one source of its rule: the queue's SQL guards are generated from the
// operation machine (operationEdge: `WHERE state = ANY(from)` ... `SET state = to`), and every
// health write of the engine goes through transitionHealth (engine/health.ts setHealth), which
// returns the new state or an error value (never throws), so callers decide how to report it.
import type { Health, OperationState } from './types.ts';

/**
 * claim: a worker takes a due operation (pending, or running with an expired lease: its worker
 * died); succeed / fail: the last step ran; retry: a step failed and the engine's decision
 * (plan/workflows.ts afterStepFailure) is to try again later; release: handed back without using
 * an attempt (shutdown, or a parked step); cancel: a rollout abort drops an operation not started.
 */
export const OPERATION_TRANSITIONS = {
  pending: { claim: 'running', cancel: 'cancelled' },
  running: { claim: 'running', succeed: 'succeeded', fail: 'failed', retry: 'pending', release: 'pending' },
  succeeded: {},
  failed: {},
  cancelled: {},
} as const satisfies Record<OperationState, Partial<Record<string, OperationState>>>;

export type OperationEvent = 'claim' | 'succeed' | 'fail' | 'retry' | 'release' | 'cancel';

export type Transition<S> = { ok: true; from: S; to: S } | { ok: false; from: S; error: string };

const OPERATION_STATES = Object.keys(OPERATION_TRANSITIONS) as OperationState[];

export function transitionOperation(from: OperationState, event: OperationEvent): Transition<OperationState> {
  const edges: Partial<Record<OperationEvent, OperationState>> = OPERATION_TRANSITIONS[from];
  const to = edges[event];
  return to ? { ok: true, from, to } : { ok: false, from, error: `operation cannot ${event} when ${from}` };
}

/**
 * One event as a guarded SQL update: the states it may start from and the one it leads to. Each
 * event leads to one state, whatever it starts from (checked by the state machine's tests).
 */
export function operationEdge(event: OperationEvent): { from: OperationState[]; to: OperationState } {
  const from = OPERATION_STATES.filter((s) => transitionOperation(s, event).ok);
  const to = (OPERATION_TRANSITIONS[from[0]!] as Partial<Record<OperationEvent, OperationState>>)[event]!;
  return { from, to };
}

// ---- environment health ----

const CHANGES = { deploy: 'Progressing', verified: 'Ready', published: 'Published', degrade: 'Degraded', fail: 'Failed', offboard: 'Deleting' } as const;

export const HEALTH_TRANSITIONS = {
  Unknown: { ...CHANGES },
  Progressing: { ...CHANGES },
  Ready: { ...CHANGES, lost: 'Unknown' },
  // No cluster of Fleetplane's runs it, so no heartbeat can lose it.
  Published: { ...CHANGES },
  Degraded: { ...CHANGES, lost: 'Unknown' },
  Failed: { ...CHANGES },
  // keep: an offboard refused before it removed anything (held by a rollout) gives the environment back.
  Deleting: { offboard: 'Deleting', keep: 'Ready', deleted: 'Deleted' },
  Deleted: { deleted: 'Deleted' },
} as const satisfies Record<Health, Partial<Record<string, Health>>>;

/**
 * deploy: a change started; verified: readiness checks passed; published: a self-managed
 * environment's revision was published as a bundle instead of delivered; degrade: some checks fail;
 * fail: the change failed; lost: the cluster stopped answering; offboard/deleted: removal;
 * keep: a refused offboard.
 */
export type HealthEvent = 'deploy' | 'verified' | 'published' | 'degrade' | 'fail' | 'lost' | 'offboard' | 'keep' | 'deleted';

export function transitionHealth(from: Health, event: HealthEvent): Transition<Health> {
  const edges: Partial<Record<HealthEvent, Health>> = HEALTH_TRANSITIONS[from];
  const to = edges[event];
  return to ? { ok: true, from, to } : { ok: false, from, error: `environment cannot ${event} when ${from}` };
}

/** Health of a newly added environment: it is being onboarded. */
export const INITIAL_HEALTH: Health = 'Progressing';

// Step lists per operation kind belong to the delivery engine: see WORKFLOWS in src/plan/workflows.ts.
