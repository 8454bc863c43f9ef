// What the engine's parts share: the store (with its queue), cluster connections, drivers, clocks,
// logger and tuning. Built once by startEngine. The errors a step ends with are domain errors
// (domain/errors.ts: PermanentError, StepWaitingError, VerifyFailedError, LeaseLostError), read by
// the one retry decision (plan/failure.ts classify, plan/workflows.ts afterStepFailure).
import type { Logger } from 'pino';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import { clusterCapabilitySource } from './capabilities.ts';
import type { ClusterCapability } from '../domain/capabilities.ts';
import type { Store } from '../domain/ports/store.ts';
import type { Claim } from '../domain/ports/queue.ts';
import type { Clock } from '../clock.ts';
import { ConfigurationError, PermanentError } from '../domain/errors.ts';
import type { Channel, DeliveryMode, Environment, Operation } from '../domain/types.ts';
import type { PlatformConfig } from '../render/index.ts';
import type { PlacementPolicySetting } from '../plan/placement.ts';
import { fencedClient } from './clusters.ts';
import type { Driver, DriverContext } from './drivers/types.ts';

export interface EngineConfig {
  workerId: string;
  /** Operations run at once by this process. */
  concurrency: number;
  leaseMs: number;
  /** Idle wait between empty claims. */
  pollMs: number;
  verifyTimeoutMs: number;
  /** The verify timeout of an environment delivered through GitOps (Argo CD). */
  gitopsVerifyTimeoutMs: number;
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
  /** How the place step ranks eligible clusters (plan/placement.ts). */
  placementPolicy: PlacementPolicySetting;
  /** A cluster failing its heartbeat this long is marked Unavailable. */
  clusterUnavailableAfterMs: number;
}

export interface EngineDeps {
  store: Store;
  connections: ClusterConnections;
  drivers: Partial<Record<DeliveryMode, Driver>>;
  logger: Logger;
  /** Wall clock, for what is recorded (timestamps, conditions). */
  now: () => Date;
  /** Monotonic time and timers: the lease keeper and the interval loops. */
  clock: Clock;
  config: EngineConfig;
  /**
   * Wakes this process's idle workers after ms: an operation this worker parked or put back to retry
   * is due then, and waiting for the next idle poll would add up to a few seconds to it.
   */
  wakeAfter?: ((ms: number) => void) | undefined;
  /** Platform settings for every render (serve passes the runbook base); renderer defaults otherwise. */
  platform?: Partial<PlatformConfig> | undefined;
  /**
   * What a cluster can run beyond core Kubernetes (KServe, Knative, KEDA, Kubeflow Trainer), read
   * before each render. Default: what the cluster's registration declares, else its API discovery
   * (engine/capabilities.ts).
   */
  capabilities?: ((cluster: string) => Promise<readonly ClusterCapability[]>) | undefined;
}

/** How long verify waits for an environment: GitOps deliveries get their own (longer) budget. */
export function verifyTimeoutOf(config: Pick<EngineConfig, 'verifyTimeoutMs' | 'gitopsVerifyTimeoutMs'>, env: Pick<Environment, 'delivery'>): number {
  return env.delivery === 'gitops' ? config.gitopsVerifyTimeoutMs : config.verifyTimeoutMs;
}

/** The capabilities of an environment's cluster, as the render step passes them to the renderer. */
export async function clusterCapabilities(deps: EngineDeps, cluster: string): Promise<readonly ClusterCapability[]> {
  return clusterCapabilitySource(deps.store, deps.connections, deps.capabilities)(cluster);
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
  /** The tenant's channel (runSteps reads it once): self-managed skips the cluster steps (plan/workflows.ts skippedFor). */
  channel: Channel;
  /** Resuming a parked step: when it began waiting and how many checks it has had. */
  waiting?: { since: string; waits: number } | undefined;
}

export async function loadEnvironment(s: StepEnv): Promise<Environment> {
  if (!s.op.environment) throw new PermanentError(`operation ${s.op.id} names no environment`);
  const env = await s.deps.store.environments.get(s.op.tenant, s.op.environment);
  if (!env) throw new PermanentError(`environment ${s.op.tenant}/${s.op.environment} does not exist`);
  return env;
}

/** The environment's delivery driver; none configured is this process's setup, not the request's fault. */
export function driverFor(deps: EngineDeps, env: Environment): Driver {
  const d = deps.drivers[env.delivery];
  if (!d) {
    throw new ConfigurationError(`no ${env.delivery} driver is configured in this process (${env.tenant}/${env.name} is delivered by ${env.delivery}); set up the ${env.delivery} driver for this engine`);
  }
  return d;
}

/** What a driver gets for one environment: its cluster through the lease-fenced client. */
export async function driverContext(s: StepEnv, env: Environment): Promise<DriverContext> {
  const conn = await s.deps.connections.get(env.placement.cluster);
  const workerId = s.deps.config.workerId;
  const fence = { assertLease: s.assertLease, signal: s.signal, worker: workerId, operation: s.op.id, now: s.deps.now };
  const kube = fencedClient(conn.cluster.name, conn.kube, fence);
  const clientFor = async (name: string) => fencedClient(name, (await s.deps.connections.get(name)).kube, fence);
  return {
    environment: env, cluster: conn.cluster, kube, clientFor, logger: s.log, signal: s.signal, now: s.deps.now,
    operation: { id: s.op.id, kind: s.op.kind, workerId },
  };
}
