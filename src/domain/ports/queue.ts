// The operation queue's contract (Store.queue). A worker claims an operation and gets a Claim: a
// handle bound to that claim's lease (operation id, lease token, worker id). Every write a worker
// makes for the operation, and every write to the environments it works on, goes through the Claim
// and is fenced by the lease: when the lease was lost (expired and re-claimed by another worker, or
// the operation ended elsewhere) the write matches no row, returns false or null, and the worker
// must stop. No write of a worker can be made without its lease.
import type { Condition, Environment, Health, ObjectRef, Operation, OperationKind, OperationStep } from '../types.ts';

export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export interface FailOptions {
  /** The engine's decision (afterStepFailure): back to pending for another attempt (backoff computed in SQL), or failed for good. */
  retry: boolean;
  /** Explicit retry time instead of the SQL backoff. */
  retryAt?: Date;
  result?: Record<string, unknown>;
}

/** Outcome of fail(): where the operation ended up, or null when the lease was lost. */
export type FailOutcome = { state: 'pending'; runAt: string } | { state: 'failed' } | null;

/** How a run that did not finish its step was closed: the lease was lost, or the worker handed the operation back. */
export type StepRunClosing = 'lease-lost' | 'released';

export interface StepRun {
  operationId: string;
  step: string;
  attempt: number;
  workerId: string;
  /** running, succeeded, failed, or how it was cut short: lease-lost, released. */
  state: string;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/** The status columns of an environment the engine writes while it runs an operation on it. */
export interface EnvironmentStatusPatch {
  health?: Health;
  conditions?: Condition[];
  desiredRevision?: string | null;
  appliedRevision?: string | null;
  lastGoodRevision?: string | null;
  cluster?: string;
  namespace?: string;
  version?: string;
  values?: Record<string, unknown>;
}

export interface Inventory {
  revision: string | null;
  objects: ObjectRef[];
}

/** A claimed operation, and every write its worker may make while the claim's lease holds. */
export interface Claim {
  readonly operation: Operation;
  readonly leaseExpiresAt: string;
  /** Claims so far including this one; the operation fails for good at maxAttempts. */
  readonly maxAttempts: number;
  /** Extends the lease by leaseMs; false when it is gone (re-claimed or the operation ended). */
  heartbeat(leaseMs: number): Promise<boolean>;
  /** Records a step's state in operations.steps and its run history; false when the lease was lost. */
  recordStep(step: OperationStep): Promise<boolean>;
  /**
   * Closes this claim's open step runs (state e.g. `lease-lost`, `released`) with finishedAt and a
   * reason. Scoped to the claim's own run rows and NOT lease-fenced: it is the worker's audit trail,
   * so it works after the lease is gone. Returns the number of runs closed.
   */
  closeRuns(state: StepRunClosing, error: string): Promise<number>;
  complete(result: Record<string, unknown>): Promise<boolean>;
  fail(error: string, opts?: FailOptions): Promise<FailOutcome>;
  /**
   * Gives the operation back without using up an attempt: on graceful shutdown, or parked while a
   * step waits on the cluster (claimable again after `delayMs`).
   */
  release(delayMs?: number): Promise<boolean>;
  /**
   * Records `step` (state waiting) and releases the claim until `delayMs` from now, atomically: a
   * reader never sees the operation running with its step already parked. False when the lease was lost.
   */
  park(step: OperationStep, delayMs: number): Promise<boolean>;
  /** Lease-fenced write of an environment's status columns; the updated environment, or null (lease lost, no such environment). */
  setEnvironmentStatus(tenant: string, environment: string, patch: EnvironmentStatusPatch): Promise<Environment | null>;
  /** Lease-fenced write of what the last delivery applied (the next one prunes against it); false when the lease was lost. */
  saveInventory(tenant: string, environment: string, inv: Inventory): Promise<boolean>;
}

export interface OperationQueue {
  /** The next runnable operation with a lease of leaseMs for workerId, or null when none is due. */
  claim(workerId: string, leaseMs: number, kinds?: OperationKind[]): Promise<Claim | null>;
  stepRuns(operationId?: string): Promise<StepRun[]>;
  inventory(tenant: string, environment: string): Promise<Inventory>;
  /** Environments and their holds/drift, for the reconcile loop (one page at a time, by key). */
  listEnvironments(after: { tenant: string; name: string } | null, limit: number): Promise<Array<Environment & { heldBy: string | null }>>;
  /** Who holds the environment (rollout id), or null; holds are taken and released through Store.rollouts. */
  holder(tenant: string, environment: string): Promise<string | null>;
  /**
   * The reconcile loop's drift report (null: in sync); with `conditions`, also the environment's
   * conditions (its Drifted condition) in the same statement. Not lease-fenced: the loop holds no
   * claim and leaves environments with unfinished operations alone.
   */
  recordDrift(tenant: string, environment: string, report: Record<string, unknown> | null, conditions?: Condition[]): Promise<void>;
  /** True when the environment has an unfinished operation (the reconcile loop leaves it alone). */
  busy(tenant: string, environment: string): Promise<boolean>;
}
