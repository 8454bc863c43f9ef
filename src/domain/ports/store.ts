// The store port: everything the API, the engine, the rollouts controller, the pre-scaler, the
// metrics and the CLI need from persistence. It belongs to the core (it imports only domain nouns);
// src/adapters/store/ implements it, and holds all of Fleetplane's SQL (docs/adr/0204). Two backends
// implement it with one SQL dialect: embedded PGlite (default) and PostgreSQL (FLEETPLANE_DATABASE_URL).
// Methods that change state and start long work create the Operation in the same transaction as the
// change (see onboardTenant in src/api/services/onboarding.ts, through Store.tx).
import type { HibernationRecord, HibernationSchedule, StoredHibernationPeriod, TrainingRun } from '../hibernation.ts';
import type { ChangeEvent, ChangeScope } from '../change-feed.ts';
import type { AttentionRow, DriftRecord, FleetCounts, HaltedRollout, MatrixPage, OperationCounts } from '../fleet-report.ts';
import type { NewRollout, Rollout, RolloutProgress, RolloutStatus, RolloutTarget, TargetPatch, TargetState } from '../rollouts.ts';
import type { ScalingDecision, ScalingPolicy } from '../scaling.ts';
import type { MeteringExportRepo, MeteringRepo } from './metering.ts';
import type { SelfManagedRepo } from './self-managed.ts';
import type { ClusterUpgrade, ClusterUpgradePlan, ClusterUpgradeProgress, UpgradeState } from '../cluster-upgrade.ts';
import type { Cluster, ClusterCapacity, ClusterCordon, ClusterHealth, Environment, Operation, OperationKind, Revision, RolloutState, Tenant } from '../types.ts';
import type { OperationQueue } from './queue.ts';
import type { Evacuation, EvacuationMove, EvacuationState, NewEvacuation } from '../evacuation.ts';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, absent on the last page. */
  next?: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface BlueprintRelease {
  name: string;
  version: string;
  /** The blueprint document's `spec` section (validated at publish; blueprintFromRelease parses it back). */
  spec: Record<string, unknown>;
  /** releaseDigest(name, version, spec) (src/domain/blueprint.ts), = Blueprint.digest; a release is immutable. */
  digest: string;
  createdAt: string;
  /** Set when a rollout's failed gate rolled the fleet back: no rollout or onboarding picks it until an admin clears it. */
  rejected?: ReleaseRejection | null;
}

export interface ReleaseRejection {
  reason: string;
  /** The rollout whose gate rejected it (null when an admin rejected it by hand). */
  rollout: string | null;
  by: string;
  at: string;
}

/** One entry of the append-only audit log. */
export interface AuditRecord {
  seq: string;
  at: string;
  actor: string;
  action: string;
  tenant: string | null;
  target: string;
  detail: Record<string, unknown>;
}

export interface TokenRecord {
  id: string;
  name: string;
  /** null for admin tokens. */
  tenant: string | null;
  role: 'admin' | 'tenant-admin' | 'tenant-viewer';
  createdAt: string;
  /** When the token stops authenticating; null: never. */
  expiresAt: string | null;
  /** The last rotation (a new secret for the same token), or null. */
  rotatedAt: string | null;
}

/** What a presented secret matched: the token, and when it was the previous (rotated) secret, until when that one is honoured. */
export interface TokenMatch {
  token: TokenRecord;
  /** Set when the secret is the token's previous one (rotated away): it works until this moment. */
  previousValidUntil: string | null;
}

export type NewToken = Omit<TokenRecord, 'id' | 'createdAt' | 'expiresAt' | 'rotatedAt'> & { expiresAt?: string | null };

export interface NewOperation {
  kind: OperationKind;
  tenant: string;
  environment?: string | null;
  params: Record<string, unknown>;
  steps: string[];
  idempotencyKey?: string | null;
  requestId?: string | null;
}

export interface StoreTx {
  // The same read/write methods, bound to one transaction.
  tenants: TenantRepo;
  environments: EnvironmentRepo;
  operations: OperationRepo;
  tokens: TokenRepo;
  idempotency: IdempotencyRepo;
  rollouts: RolloutRepo;
}

/** What a keyed request answered, for replays of requests whose result is not an Operation. */
export interface IdempotencyRecord {
  /** The caller-scoped Idempotency-Key (see src/api/http.ts). */
  key: string;
  requestHash: string;
  status: number;
  /** What the request created, e.g. token/<id> or tenant/<slug>. */
  target: string;
  location: string | null;
  /** The response body (stored sealed); null when none was kept or it was destroyed (token revoked). */
  response: unknown;
  createdAt: string;
  /** null: kept as long as the operations' keys are. */
  expiresAt: string | null;
}

export interface NewIdempotencyRecord {
  key: string;
  requestHash: string;
  status: number;
  target: string;
  location?: string | null;
  /** Sealed at rest with the store's secret key; only for answers that cannot be rebuilt. */
  response?: unknown;
  /** Lifetime; absent: no expiry. */
  ttlSeconds?: number;
}

export interface IdempotencyRepo {
  /** The live (unexpired) record for a key, its sealed response opened. */
  get(key: string): Promise<IdempotencyRecord | null>;
  /** false when a live record already holds the key (a concurrent request committed first). */
  put(rec: NewIdempotencyRecord): Promise<boolean>;
  /** Destroys the kept responses of records for target; the records stay, so a replay can say why. */
  forget(target: string): Promise<void>;
}

export interface TokenRepo {
  /** Stores only a hash of the secret. */
  create(t: NewToken, secret: string): Promise<TokenRecord>;
  /** The live (unrevoked) token whose current secret this is; expiry is the caller's to check (it holds the clock). */
  verify(secret: string): Promise<TokenRecord | null>;
  /** Like verify, but also matches a rotated-away previous secret (see TokenMatch); expiry is the caller's. */
  match(secret: string): Promise<TokenMatch | null>;
  /** One live token by id, or null. */
  get(id: string): Promise<TokenRecord | null>;
  /**
   * Gives the token a new secret. The old one keeps matching until previousValidUntil (null: it
   * stops at once); a previous secret from an earlier rotation is dropped. null when the token is unknown or revoked.
   */
  rotate(id: string, secret: string, o: { at: string; expiresAt: string | null; previousValidUntil: string | null }): Promise<TokenRecord | null>;
  list(): Promise<TokenRecord[]>;
  /** Also destroys any kept idempotent response carrying its secret. */
  revoke(id: string): Promise<void>;
  count(): Promise<number>;
  /** True when a token with this secret existed and was revoked, or the secret was rotated away (it must never come back). */
  wasRevoked(secret: string): Promise<boolean>;
}

export interface TenantRepo {
  create(t: Omit<Tenant, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Tenant>;
  get(slug: string): Promise<Tenant | null>;
  /** Soft-deleted tenants are left out unless includeDeleted; get() returns them with deletedAt set. */
  list(page: PageRequest & { tenant?: string; includeDeleted?: boolean }): Promise<Page<Tenant>>;
  /** Throws PreconditionFailedError when expectedVersion is given and stale. */
  update(slug: string, patch: Partial<Tenant>, expectedVersion?: number): Promise<Tenant>;
  markDeleted(slug: string): Promise<void>;
}

export interface EnvironmentRepo {
  create(e: Omit<Environment, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Environment>;
  get(tenant: string, name: string): Promise<Environment | null>;
  list(filter: PageRequest & { tenant?: string; cluster?: string }): Promise<Page<Environment>>;
  /**
   * One page of a tenant's environments in one read, with the tenant's visibility (the API's list
   * route): null when the tenant does not exist or was offboarded (deletedAt set).
   */
  listOfVisibleTenant(tenant: string, page: PageRequest): Promise<Page<Environment> | null>;
  update(tenant: string, name: string, patch: Partial<Environment>, expectedVersion?: number): Promise<Environment>;
  delete(tenant: string, name: string): Promise<void>;
}

export interface OperationRepo {
  /** Returns the existing operation when idempotencyKey was already used (created=false). */
  create(op: NewOperation): Promise<{ operation: Operation; created: boolean }>;
  get(id: string): Promise<Operation | null>;
  findByIdempotencyKey(key: string): Promise<Operation | null>;
  /** The operations created under any of these keys, in one read (keys never used are absent). */
  findByIdempotencyKeys(keys: readonly string[]): Promise<Operation[]>;
  /** Newest first. */
  list(filter: PageRequest & { tenant?: string; state?: string; environment?: string; kind?: string }): Promise<Page<Operation>>;
}

/**
 * The one rollouts repository (tables rollouts and rollout_targets, migrations 001 + 060; holds use
 * environments.held_by). State changes are guarded by the rollout state machine
 * (src/domain/rollout-state.ts): they only apply from a state that may enter the new one.
 */
export interface RolloutRepo {
  /** Inserts the rollout and its targets; when its idempotency key was used before, returns that rollout (created=false). */
  create(r: NewRollout): Promise<{ rollout: Rollout; created: boolean }>;
  get(id: string): Promise<Rollout | null>;
  findByIdempotencyKey(key: string): Promise<Rollout | null>;
  /** Newest first. */
  list(page: PageRequest): Promise<Page<Rollout>>;
  /** In wave, then position order. */
  targets(id: string): Promise<RolloutTarget[]>;
  /** Guarded state change; null when the rollout is not in a state that may enter `to`. */
  transition(id: string, to: RolloutState, reason: string | null): Promise<Rollout | null>;
  saveProgress(id: string, p: { status: RolloutStatus; currentWave: number }): Promise<void>;
  /** Updates one target; with `from`, only while it is still in that state. True when it changed. */
  updateTarget(key: { id: string; tenant: string; environment: string }, patch: TargetPatch, from?: TargetState): Promise<boolean>;
  /** pending -> running for one target, only while the rollout itself is running (a pause wins). */
  startTarget(id: string, tenant: string, environment: string): Promise<boolean>;
  /** Pending targets become cancelled (abort); returns how many. */
  cancelPendingTargets(id: string, reason: string): Promise<number>;
  /**
   * Cancels the given Operations that have not started (abort); returns the ids cancelled. One that
   * is pending again after starting (parked, waiting to retry) has touched the cluster and runs on.
   */
  cancelQueuedOperations(operationIds: string[]): Promise<string[]>;
  /** Marks every failed target of one wave acknowledged (resume); returns how many. */
  acknowledgeFailures(id: string, wave: number): Promise<number>;
  /** Holds an environment for this rollout: 'held', or why not ('taken' by another rollout, 'missing'). */
  hold(id: string, tenant: string, environment: string): Promise<'held' | 'taken' | 'missing'>;
  /** Releases this rollout's hold on one environment, or on all of them. */
  release(id: string, target?: { tenant: string; environment: string }): Promise<void>;
  /**
   * Claims rollouts that need a controller (active ones, and paused/aborted ones still following
   * running upgrades) whose controller lease is free or already workerId's; returns their ids.
   */
  claimActive(workerId: string, leaseMs: number, limit?: number): Promise<string[]>;
  /** One page of the tenant x wave matrix: tenants by the first wave they are in, then slug, each with its targets. */
  matrix(id: string, page: PageRequest): Promise<MatrixPage>;
  /** Targets per wave and state, counted by the store. */
  waveCounts(id: string): Promise<Array<{ wave: number; state: string; n: number }>>;
}

/**
 * The change feed (migration 900): rows database triggers append for every meaningful change of an
 * environment, operation, rollout or rollout target, whoever wrote it; NOTIFY fleetplane_changes on commit.
 */
export interface ChangeFeedRepo {
  /** Events after `seq` (exclusive) visible to the scope, oldest first, at most `limit`. */
  after(seq: number, scope: ChangeScope, limit: number): Promise<ChangeEvent[]>;
  /** The newest event id (0 when there is none). */
  latest(): Promise<number>;
  /** The oldest kept event id, or null when the feed is empty. */
  oldest(): Promise<number | null>;
  /** Deletes events older than keepSeconds; returns how many. */
  prune(keepSeconds: number): Promise<number>;
}

/** Read-only reports for the console's overview; tenant null reads the whole fleet (admin). */
export interface FleetReportRepo {
  /** Environments by health (and drifted), by release and by cluster, in one scan. */
  counts(tenant: string | null): Promise<FleetCounts>;
  /** Tenants not deleted. */
  tenantCount(tenant: string | null): Promise<number>;
  operationCounts(tenant: string | null): Promise<OperationCounts>;
  /** Failed, then Degraded, then Drifted environments with their last failed operation; keyset-paged. */
  attention(o: PageRequest & { tenant: string | null }): Promise<Page<AttentionRow>>;
  /** Paused rollouts and those failed in the last week, newest first. */
  haltedRollouts(limit: number): Promise<HaltedRollout[]>;
  /** Active rollouts by state. */
  rolloutCounts(): Promise<Record<string, number>>;
  /** The reconcile loop's last drift report; null when the environment is unknown. */
  driftReport(tenant: string, environment: string): Promise<DriftRecord | null>;
}

/** Kubernetes upgrade plans over clusters (migration 400). */
export interface ClusterUpgradeRepo {
  create(plan: ClusterUpgradePlan, progress: Record<string, ClusterUpgradeProgress>): Promise<ClusterUpgrade>;
  get(id: string): Promise<ClusterUpgrade | null>;
  list(page: PageRequest): Promise<Page<ClusterUpgrade>>;
  /** Plans in state running (the controller's work list). */
  running(): Promise<ClusterUpgrade[]>;
  /** Writes when the row is still at expectedVersion; the updated plan, or null when it moved on. */
  update(id: string, expectedVersion: number, patch: { state?: UpgradeState; progress?: Record<string, ClusterUpgradeProgress>; reason?: string | null }): Promise<ClusterUpgrade | null>;
}

/** Evacuations of clusters (migration 2100, docs/clusters.md "Move and evacuate"). */
export interface EvacuationRepo {
  /** Creates it, or returns the one recorded under `key` (created false) so a repeat does not duplicate. */
  create(e: NewEvacuation, key?: string | null): Promise<{ evacuation: Evacuation; created: boolean }>;
  get(id: string): Promise<Evacuation | null>;
  list(page: PageRequest): Promise<Page<Evacuation>>;
  /** Evacuations still running (the controller's work list), oldest first. */
  running(): Promise<Evacuation[]>;
  /** Finished failover evacuations with a move whose lost source still holds its objects and has no reclaim operation yet. */
  withLeftovers(): Promise<Evacuation[]>;
  /** Writes when the row is still at expectedVersion; the updated evacuation, or null when it moved on. */
  update(id: string, expectedVersion: number, patch: { state?: EvacuationState; moves?: EvacuationMove[]; finishedAt?: string | null }): Promise<Evacuation | null>;
}

/** Predictive-scaling policies and the pre-scaler's decisions (migration 100). */
export interface ScalingRepo {
  putPolicy(p: ScalingPolicy): Promise<ScalingPolicy>;
  getPolicy(tenant: string, environment: string): Promise<ScalingPolicy | null>;
  /** Policies that are not off (the pre-scaler's work list). */
  enabledPolicies(): Promise<ScalingPolicy[]>;
  /** Stores a decision; returns it with its id. */
  record(d: ScalingDecision): Promise<ScalingDecision>;
  /** Newest first. */
  decisions(tenant: string, environment: string, page: PageRequest): Promise<Page<ScalingDecision>>;
  latest(tenant: string, environment: string): Promise<ScalingDecision | null>;
}

/** Read-only figures over stored state, for the scrape-time gauges (src/metrics/store-gauges.ts). */
export interface StoreStats {
  /** Count of operations by state. */
  queueDepth(): Promise<Record<string, number>>;
  /**
   * Seconds since the oldest claim on a running operation was taken (null when none runs), whether
   * its lease is still being renewed or has run out without another worker taking it over: either
   * way that environment's work is stuck (FleetplaneLeaseStuck).
   */
  oldestLeaseAge(): Promise<number | null>;
  /** One row per active or recently finished rollout. */
  rolloutProgress(): Promise<RolloutProgress[]>;
}

/** Cross-process locks: work one process of a fleet sharing the database does at a time. */
export type StoreLock = 'prescaler';

/**
 * Notification channels the store raises: fleetplane_operations on every queued operation (migration
 * 052), fleetplane_changes on every change feed write (migration 900).
 */
export type StoreChannel = 'fleetplane_operations' | 'fleetplane_changes';

/** Shared request counters (the API's rate limit across `serve` replicas). */
export interface RateLimitRepo {
  /** Counts one request under `key` in its fixed window of `windowMs` (opened by the first); the count so far and the ms left. */
  hit(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;
}

export interface Store extends StoreTx {
  readonly kind: 'embedded' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Runs fn in one transaction; rolls back on throw. */
  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /**
   * Calls onNotify on each notification on channel, from any process sharing the database (and once
   * after a dropped connection is back). Returns the unsubscribe.
   */
  listen(channel: StoreChannel, onNotify: () => void): Promise<() => Promise<void>>;
  /**
   * Runs fn while this process holds `lock`; `{ ran: false }` at once when another process holds
   * it. With the embedded backend (one process) fn just runs.
   */
  exclusive<T>(lock: StoreLock, fn: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
  rateLimits: RateLimitRepo;

  clusters: {
    upsert(c: Omit<Cluster, 'createdAt' | 'updatedAt'> & { credentials?: string }): Promise<Cluster>;
    get(name: string): Promise<Cluster | null>;
    list(page: PageRequest): Promise<Page<Cluster>>;
    /** Decrypted kubeconfig / credentials (encrypted at rest). */
    credentials(name: string): Promise<string | null>;
    /** Records capacity observed from the cluster (engine); nothing else changes. False when unknown. */
    setCapacity(name: string, capacity: ClusterCapacity): Promise<boolean>;
    /** Records the heartbeat's health (engine); nothing else changes. False when unknown. */
    setHealth(name: string, health: ClusterHealth): Promise<boolean>;
    /** Cordons (or, with null, uncordons) a cluster; the updated cluster, or null when unknown. */
    setCordon(name: string, cordon: ClusterCordon | null): Promise<Cluster | null>;
    delete(name: string): Promise<void>;
  };
  blueprints: {
    /** Immutable: publishing the same name+version with a different digest is a ConflictError. */
    publish(b: Omit<BlueprintRelease, 'createdAt'>): Promise<{ release: BlueprintRelease; created: boolean }>;
    get(name: string, version: string): Promise<BlueprintRelease | null>;
    list(page: PageRequest & { name?: string }): Promise<Page<BlueprintRelease>>;
    /** Marks the release rejected (the first rejection is kept); false when there is no such release. */
    reject(name: string, version: string, why: ReleaseRejection): Promise<boolean>;
    /** Clears a rejection; false when there is no such release. */
    clearRejection(name: string, version: string): Promise<boolean>;
  };
  revisions: {
    /** Idempotent on (tenant, environment, id). */
    save(r: Revision): Promise<void>;
    get(tenant: string, environment: string, id: string): Promise<Revision | null>;
    list(tenant: string, environment: string): Promise<Array<Pick<Revision, 'id' | 'version' | 'createdAt'>>>;
  };
  /** Durable work queue for operations: leases with FOR UPDATE SKIP LOCKED (src/adapters/store/queue/). */
  queue: OperationQueue;
  scaling: ScalingRepo;
  ai: AiRepo;
  /** Usage samples, hourly records and corrections (migration 300, docs/metering.md). */
  metering: MeteringRepo;
  /** Marketplace mappings and export rows (migration 300). */
  meteringExports: MeteringExportRepo;
  /** Self-managed licenses and install reports (migration 310, docs/self-managed.md). */
  selfManaged: SelfManagedRepo;
  clusterUpgrades: ClusterUpgradeRepo;
  evacuations: EvacuationRepo;
  stats: StoreStats;
  changes: ChangeFeedRepo;
  fleet: FleetReportRepo;
  events: {
    /** Records a CloudEvent id; false when it was seen before (dedupe). */
    recordOnce(source: string, id: string, type: string): Promise<boolean>;
  };
  audit: {
    append(entry: { actor: string; action: string; tenant?: string | null; target: string; detail?: Record<string, unknown> }): Promise<void>;
    /** Newest first; `tenant` narrows to one tenant's entries. */
    list(req: PageRequest & { tenant?: string }): Promise<Page<AuditRecord>>;
  };
}

/** Hibernation and training runs (docs/ai-workloads.md), tables of migration 2000_ai_workloads.sql. */
export type TrainingRunAdded = 'added' | 'exists' | 'over-quota';

export interface AiRepo {
  hibernation(tenant: string, environment: string): Promise<HibernationRecord | null>;
  /** Hibernation rows of every environment that has one (the scheduler's pass). */
  hibernations(): Promise<HibernationRecord[]>;
  /** Sets the environment's own schedule (null: its type's again); creates the row when missing. */
  setSchedule(tenant: string, environment: string, schedule: HibernationSchedule | null): Promise<HibernationRecord>;
  /** Records what the schedule asked for (the scheduler acted on it). */
  setScheduleWants(tenant: string, environment: string, wants: 'off' | 'on'): Promise<void>;
  /**
   * Marks the environment hibernated and opens a period (idempotent: an open period is kept).
   * Returns the record.
   */
  hibernate(p: Omit<StoredHibernationPeriod, 'endedAt'>): Promise<HibernationRecord>;
  /** Marks it awake and closes the open period at `at` (idempotent). */
  wake(tenant: string, environment: string, at: string): Promise<HibernationRecord>;
  periods(tenant: string, environment?: string): Promise<StoredHibernationPeriod[]>;
  /** Inserts a run unless one with its key exists; false then. */
  /**
   * Records a run unless its id is taken ('exists') or, with gpuLimit, the environment's running runs'
   * GPUs plus this run's would exceed it ('over-quota'); decided atomically, so two starts at once
   * cannot both take the last GPU.
   */
  addTrainingRun(r: TrainingRun, gpuLimit?: number): Promise<TrainingRunAdded>;
  trainingRuns(tenant: string, environment: string): Promise<TrainingRun[]>;
  finishTrainingRun(key: Pick<TrainingRun, 'tenant' | 'environment' | 'component' | 'id'>, state: 'succeeded' | 'failed', message: string | null, at: string): Promise<void>;
}
