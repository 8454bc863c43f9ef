// The operation queue's contract (Store.queue). Every write from a worker names the lease token it
// got from claim(); when the lease was lost (expired and re-claimed by another worker) the write
// matches no row and returns false, and the worker must stop.
import type { Environment, Health, Condition, ObjectRef, Operation, OperationKind, OperationStep } from '../../../domain/types.ts';

export interface Lease {
  operationId: string;
  leaseToken: string;
  workerId: string;
}

export interface ClaimedOperation {
  operation: Operation;
  leaseToken: string;
  leaseExpiresAt: string;
  /** Claims so far including this one; the operation fails for good at maxAttempts. */
  maxAttempts: number;
}

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

export interface OperationQueue {
  claim(workerId: string, leaseMs: number, kinds?: OperationKind[]): Promise<ClaimedOperation | null>;
  heartbeat(id: string, leaseToken: string, leaseMs: number): Promise<boolean>;
  /** Records a step's state in operations.steps and its run history; false when the lease was lost. */
  recordStep(id: string, leaseToken: string, step: OperationStep, workerId?: string): Promise<boolean>;
  /**
   * Closes the claim's open step runs (state e.g. `lease-lost`, `released`) with finishedAt and a
   * reason. Scoped to the claim's own run rows by its lease token and NOT lease-fenced: it is the
   * worker's audit trail, so it works after the lease is gone. Returns the number of runs closed.
   */
  closeRuns(id: string, leaseToken: string, state: StepRunClosing, error: string): Promise<number>;
  complete(id: string, leaseToken: string, result: Record<string, unknown>): Promise<boolean>;
  fail(id: string, leaseToken: string, error: string, opts?: FailOptions): Promise<FailOutcome>;
  /**
   * Gives the operation back without using up an attempt: on graceful shutdown, or parked while a
   * step waits on the cluster (claimable again after `delayMs`).
   */
  release(id: string, leaseToken: string, delayMs?: number): Promise<boolean>;
  /** Count of operations by state. */
  depth(): Promise<Record<string, number>>;
  /** Seconds since the oldest running operation was claimed (null when none): a stuck worker shows here. */
  oldestLeaseAge(): Promise<number | null>;
  stepRuns(operationId?: string): Promise<StepRun[]>;
  inventory(tenant: string, environment: string): Promise<Inventory>;
  /** Fenced by the lease when `lease` is given. */
  saveInventory(tenant: string, environment: string, inv: Inventory, lease?: Pick<Lease, 'operationId' | 'leaseToken'>): Promise<boolean>;
  /** Updates status columns; fenced by the lease when given. Returns the updated environment or null. */
  updateEnvironment(tenant: string, environment: string, patch: EnvironmentStatusPatch, lease?: Pick<Lease, 'operationId' | 'leaseToken'>): Promise<Environment | null>;
  /** Environments and their holds/drift, for the reconcile loop (one page at a time, by key). */
  listEnvironments(after: { tenant: string; name: string } | null, limit: number): Promise<Array<Environment & { heldBy: string | null }>>;
  /** Who holds the environment (rollout id), or null. */
  holder(tenant: string, environment: string): Promise<string | null>;
  setHold(tenant: string, environment: string, holder: string | null): Promise<void>;
  recordDrift(tenant: string, environment: string, report: Record<string, unknown> | null): Promise<void>;
  /** True when the environment has an unfinished operation (the reconcile loop leaves it alone). */
  busy(tenant: string, environment: string): Promise<boolean>;
}
