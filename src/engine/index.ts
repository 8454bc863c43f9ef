// The delivery engine: a worker pool running durable operations from the queue, and the drift
// reconcile loop. `startEngine` is what `fleetplane serve` calls; several processes sharing one
// PostgreSQL split the work through leases (see docs/engine.md).
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../adapters/store/port.ts';
import type { DeliveryMode, Environment, OperationKind } from '../domain/types.ts';
import type { PlatformConfig } from '../render/index.ts';
import { ClusterConnections } from '../adapters/kube/index.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { EngineConfig, EngineDeps } from './context.ts';
import { DirectDriver } from './drivers/direct.ts';
import type { Driver, DriftReport } from './drivers/types.ts';
import { ClusterInventory } from './cluster-inventory.ts';
import { Reconciler } from './reconcile.ts';
import { bindOldestLeaseAge, timeClusterCall } from '../metrics/engine.ts';
import { WorkerPool } from './worker.ts';

export interface StartEngineOptions {
  store: Store;
  logger: Logger;
  workerId?: string;
  /** Operations at once in this process (env FLEETPLANE_WORKER_CONCURRENCY, default 16). */
  concurrency?: number;
  /** Drift check interval; 0 disables (env FLEETPLANE_RECONCILE_INTERVAL: ms or "30s"/"5m", default 60s). */
  reconcileIntervalMs?: number;
  /** Lease length (env FLEETPLANE_LEASE_MS, default 30s); heartbeats every third of it. */
  leaseMs?: number;
  /** Per-environment verify timeout (env FLEETPLANE_VERIFY_TIMEOUT: ms or "5m", default 5 minutes). */
  verifyTimeoutMs?: number;
  /** Verify attempts before rolling back (env FLEETPLANE_VERIFY_ATTEMPTS, default 2). */
  verifyAttempts?: number;
  /** Placement overcommit of quota CPU over allocatable CPU (env FLEETPLANE_CPU_OVERCOMMIT, default 2). */
  cpuOvercommit?: number;
  /** The same for memory (env FLEETPLANE_MEMORY_OVERCOMMIT, default 1.5: memory is not compressible). */
  memoryOvercommit?: number;
  /** One verify check's hold on a worker before the step is parked (env FLEETPLANE_VERIFY_HOLD: ms or "2s", default 2s). */
  verifyHoldMs?: number;
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
  /** Cluster capacity refresh (env FLEETPLANE_CLUSTER_REFRESH_INTERVAL: ms or "60s", default 60s; 0 disables). */
  clusterRefreshIntervalMs?: number;
  now?: () => Date;
  /** Monotonic time and timers for the lease keeper and the loops (tests pass a manual clock). */
  clock?: Clock;
  /** The process's one cache of cluster clients (serve shares it with the pre-scaler and the API); default: the engine's own. */
  connections?: ClusterConnections;
  onDrift?: (env: Environment, report: DriftReport) => void;
  /** Platform settings for every render, e.g. `{ runbookBaseUrl }` (serve: FLEETPLANE_RUNBOOK_URL or its own URL + /runbooks). */
  platform?: Partial<PlatformConfig>;
}

export interface Engine {
  readonly workerId: string;
  /** Wake idle workers now (after enqueuing work in-process). */
  nudge(): void;
  /** One drift pass now (tests, CLI). */
  reconcileOnce(): ReturnType<Reconciler['pass']>;
  stop(): Promise<void>;
}

/** "1500" (ms), "30s", "5m", "1h" -> ms; undefined when unset or unparsable. */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * mult);
}

const positiveNumber = (v: string | undefined): number | undefined => {
  const n = Number(v);
  return v !== undefined && v.trim() !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
};

const envInt = (name: string): number | undefined => {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
};

export function engineConfig(o: Omit<StartEngineOptions, 'store' | 'logger'>): EngineConfig {
  return {
    workerId: o.workerId ?? process.env.FLEETPLANE_WORKER_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`,
    concurrency: o.concurrency ?? envInt('FLEETPLANE_WORKER_CONCURRENCY') ?? 16,
    leaseMs: o.leaseMs ?? envInt('FLEETPLANE_LEASE_MS') ?? 30_000,
    pollMs: o.pollMs ?? envInt('FLEETPLANE_POLL_MS') ?? 500,
    verifyTimeoutMs: o.verifyTimeoutMs ?? parseDuration(process.env.FLEETPLANE_VERIFY_TIMEOUT) ?? 5 * 60_000,
    verifyAttempts: o.verifyAttempts ?? envInt('FLEETPLANE_VERIFY_ATTEMPTS') ?? 2,
    verifyHoldMs: o.verifyHoldMs ?? parseDuration(process.env.FLEETPLANE_VERIFY_HOLD) ?? 2000,
    cpuOvercommit: o.cpuOvercommit ?? positiveNumber(process.env.FLEETPLANE_CPU_OVERCOMMIT) ?? 2,
    memoryOvercommit: o.memoryOvercommit ?? positiveNumber(process.env.FLEETPLANE_MEMORY_OVERCOMMIT) ?? 1.5,
    reconcileIntervalMs: o.reconcileIntervalMs ?? parseDuration(process.env.FLEETPLANE_RECONCILE_INTERVAL) ?? 60_000,
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
  };
  bindOldestLeaseAge(() => opts.store.queue.oldestLeaseAge());
  const pool = new WorkerPool(deps, opts.kinds);
  deps.wakeAfter = (ms) => pool.wakeAfter(ms);
  const reconciler = new Reconciler(deps, opts.onDrift);
  const inventory = new ClusterInventory(deps, opts.clusterRefreshIntervalMs ?? parseDuration(process.env.FLEETPLANE_CLUSTER_REFRESH_INTERVAL) ?? 60_000);
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
  inventory.start();
  logger.info({ concurrency: config.concurrency, leaseMs: config.leaseMs, reconcileIntervalMs: config.reconcileIntervalMs }, 'engine started');
  return {
    workerId: config.workerId,
    nudge: () => pool.nudge(),
    reconcileOnce: () => reconciler.pass(),
    async stop() {
      await unsubscribe?.();
      await Promise.all([pool.stop(), reconciler.stop(), inventory.stop()]);
      logger.info('engine stopped');
    },
  };
}
