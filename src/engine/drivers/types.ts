// The delivery driver contract. The engine runs an Operation's steps (plan -> deliver -> verify ->
// record) and calls a Driver for everything that touches the environment's target: the direct
// driver (./direct.ts) server-side-applies to the cluster, the GitOps driver (./gitops*.ts) commits
// to the tenant's repository and lets Argo CD apply. The engine owns the store (revisions, the
// applied-object inventory, status, audit); drivers own only their target and return plain data.
//
// Rules every driver follows:
// - Every method is idempotent: the engine re-runs a step after a crash or a lost lease, so
//   delivering the same revision twice must converge to the same state (SSA, "commit if changed").
// - Write to clusters only through ctx.kube (it checks the lease and passes the abort signal), and
//   honour ctx.signal for everything else (the engine aborts when the lease is lost or the process stops).
// - Throw Errors (never non-Errors) for failures worth a retry; return `ready: false` from verify
//   for "the cluster says no" so the engine can roll back with the cluster's reason.
// - Never log secret values (kubeconfigs, repo credentials).
import type { Logger } from 'pino';
import type { Cluster, Environment, KubeObject, ObjectRef, Revision } from '../../domain/types.ts';

/**
 * Cluster access the engine hands to drivers: one client per cluster, fenced by the running
 * operation's lease (engine/clusters.ts fencedClient). Every apply and delete is refused unless the
 * worker still holds its lease, and carries the abort signal, so no driver can write without the
 * fence or forget it; reads carry the signal too. Drift checks get one whose writes are refused.
 */
export interface ClusterClient {
  readonly cluster: string;
  /** Server-side apply (field manager `fleetplane` unless given); returns the object as stored by the API server. */
  apply(obj: KubeObject, opts?: { force?: boolean; dryRun?: boolean; fieldManager?: string; precondition?: boolean }): Promise<KubeObject>;
  /**
   * JSON merge patch (an Update: removes fields other managers own, e.g. Argo CD's tracking
   * annotation, which an apply cannot); null when the object does not exist.
   */
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject | null>;
  /** null when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | null>;
  /** List one kind in one namespace (or cluster-wide when namespace is undefined). */
  list(q: { apiVersion: string; kind: string; namespace?: string; labelSelector?: string }): Promise<KubeObject[]>;
  /** Deletes; resolves false when it was already gone. */
  delete(ref: ObjectRef, opts?: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' }): Promise<boolean>;
}

export interface DriverContext {
  /** The environment as stored (tenant slug, name, placement, delivery mode, values, status). */
  environment: Environment;
  /** The cluster the environment is placed on (environment.placement.cluster). */
  cluster: Cluster;
  /** The fenced client for that cluster (see ClusterClient). GitOps uses it for Secrets and to read health back. */
  kube: ClusterClient;
  /**
   * The same kind of client (same fence) for another registered cluster, e.g. the Argo CD
   * management cluster the GitOps driver bootstraps. Absent in contexts built by hand (tests).
   */
  clientFor?(cluster: string): Promise<ClusterClient>;
  logger: Logger;
  /** Aborted when the worker loses its lease or stops; stop work promptly (git, waits). Cluster
   *  requests get it from `kube` already. */
  signal: AbortSignal;
  /** Injected clock. */
  now(): Date;
  /** Operation being run (for commit messages, audit, logs). */
  operation: { id: string; kind: string; workerId: string };
}

/** What the engine knows about the previous delivery of this environment. */
export interface PreviousDelivery {
  revision: Revision | null;
  /** Objects applied last time, read from the store (the inventory used for pruning). */
  inventory: ObjectRef[];
}

export interface DeliverResult {
  /** Objects in the revision that were applied (or committed). */
  applied: ObjectRef[];
  /** Objects removed because they were in the previous inventory but not in this revision. */
  pruned: ObjectRef[];
  /** The new inventory the engine stores for the environment (normally = applied). */
  inventory: ObjectRef[];
  /** Driver-specific facts, kept in the step output (e.g. { commit: "abc123" }). */
  detail?: Record<string, unknown>;
}

export interface VerifyOptions {
  /** Give up (ready: false, reason "Timeout") after this long, counted from `startedAt`. */
  timeoutMs: number;
  /** When this verification began (epoch ms; it may span several parked checks). Default: now. */
  startedAt?: number;
  /**
   * Hold the caller at most this long, then answer `waiting` while the rollout is still progressing
   * and the timeout has not passed, so the engine can park the step and free its worker. Unset: wait
   * for a verdict (ready, failed or timeout).
   */
  holdMs?: number;
  /** How often to re-read state; drivers may use watches instead. */
  pollIntervalMs?: number;
}

export interface FailingObject {
  ref: ObjectRef;
  /** e.g. "ContainersNotReady", "ProgressDeadlineExceeded". */
  reason: string;
  /** Cluster's own words, e.g. the failing pod's Ready condition message. */
  message: string;
}

export interface VerifyResult {
  ready: boolean;
  /** Not ready yet, nothing failed and time is left: check again later (only when `holdMs` was given). */
  waiting?: boolean;
  /** Short CamelCase reason when not ready ("Timeout", "PodsNotReady", ...). */
  reason?: string;
  /** Human message from the cluster, used as the Operation's error. */
  message?: string;
  failing?: FailingObject[];
}

export interface RemoveResult {
  removed: ObjectRef[];
  detail?: Record<string, unknown>;
}

export interface DriftItem {
  ref: ObjectRef;
  kind: 'missing' | 'changed';
  /** Dotted paths of managed fields that differ, e.g. ["spec.replicas"]. */
  fields?: string[];
}

export interface DriftReport {
  drifted: boolean;
  items: DriftItem[];
}

export interface Driver {
  readonly mode: 'direct' | 'gitops';
  /** Make the target hold `revision`; prune what `previous.inventory` had that `revision` lacks. */
  deliver(ctx: DriverContext, revision: Revision, previous?: PreviousDelivery): Promise<DeliverResult>;
  /** Wait until the delivered revision is healthy in the cluster, or say why not. */
  verify(ctx: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult>;
  /** Go back to `toRevision` (direct: re-apply it; gitops: revert commit). `from` is the bad one. */
  rollback(ctx: DriverContext, toRevision: Revision, from: PreviousDelivery): Promise<DeliverResult>;
  /** Remove everything in `inventory` (reverse apply order) and the namespace; archive repos. */
  remove(ctx: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult>;
  /** Compare live state with `revision`; optional (the engine skips drift for drivers without it). */
  drift?(ctx: DriverContext, revision: Revision): Promise<DriftReport>;
}

/**
 * Moving an environment by delivering a second copy of it for the target (the GitOps driver, ADR
 * 1030): each method is idempotent ("commit if changed"), so a step re-run after a crash is a no-op.
 * `target` contexts are placed on the move's target, `source` ones on its source.
 */
export interface CopyMoveDriver {
  /** Out of band on the target, then one commit of the copy (`revision` as given: singletons held or not), then bootstrap (widen). */
  deliverCopy(target: DriverContext, revision: Revision): Promise<DeliverResult>;
  /** The copy's own Application Synced + Healthy at a commit whose copy index holds `revision`, its Deployments Ready. */
  verifyCopy(target: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult>;
  /** Commits `revision` (the source's, e.g. singletons held at zero) to the source's own directory; copies untouched. */
  holdSource(source: DriverContext, revision: Revision): Promise<{ commit: string | null; changed: boolean }>;
  /** One commit: the copy becomes the environment's home (its index at environments/<env>/revision.json). */
  promoteCopy(target: DriverContext): Promise<{ commit: string | null; changed: boolean }>;
  /**
   * After the switch: the ApplicationSets applied from the repo, the source's Applications waited
   * for (bounded) until Argo CD deleted them (pruning the source), then the source's out-of-band
   * objects deleted, its old directory removed in a commit, and the AppProject narrowed.
   * `pending` names the Applications still there when the bound ran out (nothing else was done).
   */
  removeSource(source: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult & { pending: string[] }>;
  /** Before the switch (a failed move): the copy's directory removed, its Applications waited for, the target's out-of-band objects deleted. */
  removeCopy(target: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult & { pending: string[] }>;
}

export function isCopyMoveDriver(d: Driver): d is Driver & CopyMoveDriver {
  const m = d as Partial<CopyMoveDriver>;
  return typeof m.deliverCopy === 'function' && typeof m.promoteCopy === 'function' && typeof m.removeSource === 'function';
}
