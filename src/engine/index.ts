// The delivery engine: a worker pool running durable operations from the queue, and the drift
// reconcile loop. `startEngine` is what `fleetplane serve` calls, with the values it read once into
// FleetplaneConfig (src/config.ts); several processes sharing one PostgreSQL split the work through
// leases (see docs/engine.md). Nothing here reads the environment.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../domain/ports/store.ts';
import type { DeliveryMode, Environment, OperationKind } from '../domain/types.ts';
import type { PlatformConfig } from '../render/index.ts';
import { ClusterConnections } from '../adapters/kube/index.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { EngineConfig, EngineDeps } from './context.ts';
import { ENGINE_DEFAULTS } from './defaults.ts';
import type { PlacementPolicySetting } from '../plan/placement.ts';
import { DirectDriver } from './drivers/direct.ts';
import type { Driver, DriftReport } from './drivers/types.ts';
import { ClusterInventory } from './cluster-inventory.ts';
import { Reconciler } from './reconcile.ts';
import { HibernationScheduler, type HibernationPassResult } from './hibernation-scheduler.ts';
import type { ClusterCapability } from '../domain/capabilities.ts';
import { timeClusterCall } from '../metrics/engine.ts';
import { WorkerPool } from './worker.ts';
import { EvacuationController } from './evacuations.ts';
import { FailoverLoop, type FailoverPass } from './failover.ts';
import type { FailoverPolicy } from '../plan/move.ts';
import type { Evacuation } from '../domain/evacuation.ts';

export interface StartEngineOptions {
  store: Store;
  logger: Logger;
  workerId?: string;
  /** Operations at once in this process (default 16). */
  concurrency?: number;
  /** Drift check interval; 0 disables (default 60s). */
  reconcileIntervalMs?: number;
  /** Lease length (default 30s); heartbeats every third of it. */
  leaseMs?: number;
  /** Per-environment verify timeout (default 5 minutes). */
  verifyTimeoutMs?: number;
  /** Verify timeout of GitOps environments (default: verifyTimeoutMs, at least 10 minutes). */
  gitopsVerifyTimeoutMs?: number;
  /** Verify attempts before rolling back (default 2). */
  verifyAttempts?: number;
  /** Placement overcommit of quota CPU over allocatable CPU (default 2). */
  cpuOvercommit?: number;
  /** The same for memory (default 1.5: memory is not compressible). */
  memoryOvercommit?: number;
  /** One verify check's hold on a worker before the step is parked (default 2s). */
  verifyHoldMs?: number;
  /** Idle wait between empty claims (default 500 ms, jittered, backs off). */
  pollMs?: number;
  /** Extra or replacement drivers (the GitOps driver is passed here by `serve` when configured). */
  drivers?: Partial<Record<DeliveryMode, Driver>>;
  /** Only claim these kinds (default all). */
  kinds?: OperationKind[];
  /** Run no workers (reconcile only) when false. */
  workers?: boolean;
  /**
   * Subscribes to "operations were queued" (from any process); idle workers wake on each instead of
   * waiting for their next poll. `serve` passes the store's LISTEN on `fleetplane_operations`.
   */
  subscribe?: (onQueued: () => void) => Promise<() => Promise<void>>;
  /** Cluster capacity refresh and heartbeat (default 60s; 0 disables). */
  clusterRefreshIntervalMs?: number;
  /** Heartbeat failing this long marks a cluster Unavailable (default 90s). */
  clusterUnavailableAfterMs?: number;
  /** Placement ranking (default spread). */
  placementPolicy?: PlacementPolicySetting;
  now?: () => Date;
  /** Monotonic time and timers for the lease keeper and the loops (tests pass a manual clock). */
  clock?: Clock;
  /** The process's one cache of cluster clients (serve shares it with the pre-scaler and the API); default: the engine's own. */
  connections?: ClusterConnections;
  onDrift?: (env: Environment, report: DriftReport) => void;
  /** Platform settings for every render, e.g. `{ runbookBaseUrl }` (serve: FLEETPLANE_RUNBOOK_URL or its own URL + /runbooks). */
  platform?: Partial<PlatformConfig>;
  /** What each cluster can run beyond core Kubernetes (default: its API discovery), see EngineDeps.capabilities. */
  capabilities?: (cluster: string) => Promise<readonly ClusterCapability[]>;
  /** How often hibernation schedules are looked at (default 60 s; 0: never, call hibernationOnce). */
  hibernationIntervalMs?: number;
  /** How often running evacuations start and follow their moves (default 2 s; 0: never, call evacuationOnce). */
  evacuationIntervalMs?: number;
  /** The failover policy per tier (default: off for every tier) and its loop's interval (default 15 s; 0: never, call failoverOnce). */
  failover?: { policy: FailoverPolicy; intervalMs?: number; concurrency?: number };
}

export interface Engine {
  readonly workerId: string;
  /** Wake idle workers now (after enqueuing work in-process). */
  nudge(): void;
  /** One drift pass now (tests, CLI). */
  reconcileOnce(): ReturnType<Reconciler['pass']>;
  /** One hibernation-schedule pass now, at the engine's clock (tests inject it). */
  hibernationOnce(): Promise<HibernationPassResult>;
  /** One evacuation pass now (start moves under each evacuation's limit, follow them). */
  evacuationOnce(): Promise<Evacuation[]>;
  /** One failover pass now, at the engine's clock. */
  failoverOnce(): Promise<FailoverPass>;
  stop(): Promise<void>;
}

/** The engine's settings: what the caller passed, defaults for the rest. */
export function engineConfig(o: Omit<StartEngineOptions, 'store' | 'logger'>): EngineConfig {
  return {
    workerId: o.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`,
    concurrency: o.concurrency ?? ENGINE_DEFAULTS.concurrency,
    leaseMs: o.leaseMs ?? ENGINE_DEFAULTS.leaseMs,
    pollMs: o.pollMs ?? ENGINE_DEFAULTS.pollMs,
    verifyTimeoutMs: o.verifyTimeoutMs ?? ENGINE_DEFAULTS.verifyTimeoutMs,
    gitopsVerifyTimeoutMs: o.gitopsVerifyTimeoutMs ?? Math.max(o.verifyTimeoutMs ?? ENGINE_DEFAULTS.verifyTimeoutMs, ENGINE_DEFAULTS.gitopsVerifyMinMs),
    verifyAttempts: o.verifyAttempts ?? ENGINE_DEFAULTS.verifyAttempts,
    verifyHoldMs: o.verifyHoldMs ?? ENGINE_DEFAULTS.verifyHoldMs,
    cpuOvercommit: o.cpuOvercommit ?? ENGINE_DEFAULTS.cpuOvercommit,
    memoryOvercommit: o.memoryOvercommit ?? ENGINE_DEFAULTS.memoryOvercommit,
    reconcileIntervalMs: o.reconcileIntervalMs ?? ENGINE_DEFAULTS.reconcileIntervalMs,
    ...clusterSettings(o),
  };
}

function clusterSettings(o: Pick<StartEngineOptions, 'placementPolicy' | 'clusterUnavailableAfterMs'>): Pick<EngineConfig, 'placementPolicy' | 'clusterUnavailableAfterMs'> {
  return {
    placementPolicy: o.placementPolicy ?? ENGINE_DEFAULTS.placementPolicy,
    clusterUnavailableAfterMs: o.clusterUnavailableAfterMs ?? ENGINE_DEFAULTS.clusterUnavailableAfterMs,
  };
}

/** Cluster clients from the store's credentials, each call timed into the cluster metrics. */
export function engineConnections(store: Pick<Store, 'clusters'>, clock?: Clock): ClusterConnections {
  return new ClusterConnections(store.clusters, { timeCall: timeClusterCall, ...(clock ? { clock } : {}) });
}

export async function startEngine(opts: StartEngineOptions): Promise<Engine> {
  const config = engineConfig(opts);
  const logger = opts.logger.child({ component: 'engine', workerId: config.workerId });
  const deps: EngineDeps = {
    store: opts.store,
    connections: opts.connections ?? engineConnections(opts.store, opts.clock),
    drivers: { direct: new DirectDriver(), ...(opts.drivers ?? {}) },
    logger,
    now: opts.now ?? (() => new Date()),
    clock: opts.clock ?? systemClock,
    config,
    platform: opts.platform,
    capabilities: opts.capabilities,
  };
  const pool = new WorkerPool(deps, opts.kinds);
  deps.wakeAfter = (ms) => pool.wakeAfter(ms);
  const reconciler = new Reconciler(deps, opts.onDrift);
  const hibernation = new HibernationScheduler(deps, opts.hibernationIntervalMs ?? 60_000);
  const inventory = new ClusterInventory(deps, opts.clusterRefreshIntervalMs ?? ENGINE_DEFAULTS.clusterRefreshIntervalMs);
  const evacuationIntervalMs = opts.evacuationIntervalMs ?? 2000;
  const evacuations = new EvacuationController(deps, evacuationIntervalMs, () => pool.nudge());
  const settings = { policy: config.placementPolicy, cpuOvercommit: config.cpuOvercommit, memoryOvercommit: config.memoryOvercommit };
  const failoverOpts = { policy: opts.failover?.policy ?? {}, settings, concurrency: opts.failover?.concurrency ?? 5 };
  const failoverIntervalMs = opts.failover?.intervalMs ?? 15_000;
  const failover = new FailoverLoop(deps, failoverOpts, failoverIntervalMs);
  const failoverOn = Object.values(failoverOpts.policy).some((p) => p.mode !== 'off');
  let unsubscribe: (() => Promise<void>) | null = null;
  if (opts.workers !== false) {
    pool.start();
    // Polling remains the fallback, so a failed subscription only costs latency.
    unsubscribe = await opts.subscribe?.(() => pool.nudge()).catch((err: unknown) => {
      logger.warn({ err }, 'could not subscribe to queued-operation notifications; workers poll only');
      return null;
    }) ?? null;
  }
  reconciler.start();
  if ((opts.hibernationIntervalMs ?? 60_000) > 0) hibernation.start();
  inventory.start();
  if (evacuationIntervalMs > 0) evacuations.start();
  if (failoverOn && failoverIntervalMs > 0) failover.start();
  logger.info({ concurrency: config.concurrency, leaseMs: config.leaseMs, reconcileIntervalMs: config.reconcileIntervalMs }, 'engine started');
  return {
    workerId: config.workerId,
    nudge: () => pool.nudge(),
    reconcileOnce: () => reconciler.pass(),
    hibernationOnce: () => hibernation.pass(),
    evacuationOnce: () => evacuations.pass(),
    failoverOnce: () => failover.pass(),
    async stop() {
      await unsubscribe?.();
      await Promise.all([pool.stop(), reconciler.stop(), hibernation.stop(), inventory.stop(), evacuations.stop(), failover.stop()]);
      logger.info('engine stopped');
    },
  };
}
