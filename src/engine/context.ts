// What the engine's parts share: the store (with its queue), cluster connections, drivers, clock,
// logger and tuning. Built once by startEngine.
import type { Logger } from 'pino';
import type { Store } from '../domain/ports/store.ts';
import type { Claim } from '../domain/ports/queue.ts';
import type { DeliveryMode, Environment, Operation } from '../domain/types.ts';
import type { PlatformConfig } from '../render/index.ts';
import type { ApplyObserver } from './apply-log.ts';
import type { ClusterConnections } from './clusters.ts';
import type { Driver, DriverContext } from './drivers/types.ts';
import { refString } from './apply-log.ts';
import { InputError } from '../domain/errors.ts';

export interface EngineConfig {
  workerId: string;
  /** Operations run at once by this process. */
  concurrency: number;
  leaseMs: number;
  /** Idle wait between empty claims. */
  pollMs: number;
  verifyTimeoutMs: number;
  /** Verify attempts (each up to verifyTimeoutMs) before rolling back. */
  verifyAttempts: number;
  /**
   * How long one verify check may hold a worker slot before the step is parked (released, checked
   * again later) while the rollout progresses. A pod that takes 30 s to become Ready then costs a
   * few short checks instead of a worker slot for 30 s.
   */
  verifyHoldMs: number;
  /** Placement: environments' quota CPU may add up to this many times a cluster's allocatable CPU. */
  cpuOvercommit: number;
  memoryOvercommit: number;
  reconcileIntervalMs: number;
}

export interface EngineDeps {
  store: Store;
  connections: ClusterConnections;
  drivers: Partial<Record<DeliveryMode, Driver>>;
  logger: Logger;
  now: () => Date;
  config: EngineConfig;
  applyObserver?: ApplyObserver | undefined;
  /**
   * Wakes this process's idle workers after ms: an operation this worker parked or put back to retry
   * is due then, and waiting for the next idle poll would add up to a few seconds to it.
   */
  wakeAfter?: ((ms: number) => void) | undefined;
  /** Platform settings for every render (serve passes the runbook base); renderer defaults otherwise. */
  platform?: Partial<PlatformConfig> | undefined;
}

/** Everything one running step needs. */
export interface StepEnv {
  deps: EngineDeps;
  op: Operation;
  /** The claim this step runs under: every queue and environment write goes through it (lease-fenced). */
  claimed: Claim;
  signal: AbortSignal;
  /** Throws unless the worker may still write for this operation (see LeaseKeeper.assertHeld). */
  assertLease: () => void;
  log: Logger;
  /** Outputs of the steps that already succeeded, by step name. */
  outputs: Record<string, Record<string, unknown>>;
  /** Attempt number of the running step (1 = first). */
  attempt: number;
  /** Resuming a parked step: when it began waiting and how many checks it has had. */
  waiting?: { since: string; waits: number } | undefined;
}

/** A failure that retrying cannot fix (bad input, refused by policy). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

/** Not healthy yet, not failed either: park the step and check again after `delayMs`. */
export class StepWaitingError extends Error {
  override readonly name = 'StepWaitingError';
  constructor(message: string, readonly delayMs: number) {
    super(message);
  }
}

/** The cluster said the revision is not healthy; message carries its reason. */
export class VerifyFailedError extends Error {
  override readonly name = 'VerifyFailedError';
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

export async function loadEnvironment(s: StepEnv): Promise<Environment> {
  if (!s.op.environment) throw new PermanentError(`operation ${s.op.id} names no environment`);
  const env = await s.deps.store.environments.get(s.op.tenant, s.op.environment);
  if (!env) throw new PermanentError(`environment ${s.op.tenant}/${s.op.environment} does not exist`);
  return env;
}

export function driverFor(deps: EngineDeps, env: Environment): Driver {
  const d = deps.drivers[env.delivery];
  if (!d) throw new InputError(`no ${env.delivery} driver is configured in this process`);
  return d;
}

export async function driverContext(s: StepEnv, env: Environment): Promise<DriverContext> {
  const conn = await s.deps.connections.get(env.placement.cluster);
  const observe = s.deps.applyObserver;
  const ctx: DriverContext = {
    environment: env, cluster: conn.cluster, kube: conn.kube, logger: s.log, signal: s.signal, beforeWrite: s.assertLease, now: s.deps.now,
    operation: { id: s.op.id, kind: s.op.kind, workerId: s.deps.config.workerId },
  };
  if (observe) {
    ctx.observeWrite = (ref, phase) => observe({ worker: s.deps.config.workerId, operation: s.op.id, ref: refString(ref), phase, at: Date.now() });
  }
  return ctx;
}
