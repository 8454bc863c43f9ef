// Each Operation kind is an ordered list of named steps. The engine runs the first step that has not
// succeeded, so a re-run after a crash resumes where it stopped; every step is idempotent.
import type { Channel, OperationKind, OperationStep } from '../domain/types.ts';
import type { Classification } from './failure.ts';

export type StepName = 'place' | 'render' | 'deliver' | 'verify' | 'record' | 'check-hold' | 'remove' | 'hibernate' | 'wake'
  | MoveStepName | ReclaimStepName;

/** The move workflow's own steps (engine/move.ts, docs/clusters.md "Move"). */
export type MoveStepName = 'move-prepare' | 'move-deliver' | 'move-verify' | 'move-stop-source' | 'move-start-target' | 'move-switch' | 'move-remove' | 'move-record';

/** After a failover: what a lost cluster still holds of an environment moved away, removed once it is back (engine/reclaim.ts). */
export type ReclaimStepName = 'reclaim-remove' | 'reclaim-record';

export const WORKFLOWS: Readonly<Record<OperationKind, readonly StepName[]>> = {
  onboard: ['place', 'render', 'deliver', 'verify', 'record'],
  upgrade: ['render', 'deliver', 'verify', 'record'],
  patch: ['render', 'deliver', 'verify', 'record'],
  reconfigure: ['render', 'deliver', 'verify', 'record'],
  scale: ['render', 'deliver', 'verify', 'record'],
  rollback: ['render', 'deliver', 'verify', 'record'],
  offboard: ['check-hold', 'remove', 'record'],
  // docs/ai-workloads.md: the revision delivered held at zero, then as rendered again (verified Ready).
  hibernate: ['hibernate', 'deliver', 'verify', 'record'],
  wake: ['wake', 'deliver', 'verify', 'record'],
  // docs/clusters.md "Move": render for the target, deliver there with singletons held at zero,
  // verify, stop the singletons on the source, start them on the target (verified Ready), switch
  // the recorded placement, then remove from the source.
  move: ['move-prepare', 'move-deliver', 'move-verify', 'move-stop-source', 'move-start-target', 'move-switch', 'move-remove', 'move-record'],
  // docs/clusters.md "Failover": once the lost cluster answers again, its singletons scaled to zero
  // and the objects the failover move could not remove deleted (not when the environment is placed
  // there again).
  reclaim: ['reclaim-remove', 'reclaim-record'],
};

/** Step names for a new Operation of this kind (what the API stores in Operation.steps). */
export function stepsFor(kind: OperationKind): StepName[] {
  return [...WORKFLOWS[kind]];
}

/**
 * Steps a channel does not run, with the reason recorded on the step. A self-managed environment is
 * installed by its customer from the signed bundle: Fleetplane renders and publishes its revision
 * (render, record) but never places it, delivers it, verifies it on a cluster or removes it from one.
 */
const SKIPPED: Readonly<Record<Channel, Partial<Record<StepName, string>>>> = {
  saas: {},
  'self-managed': {
    place: 'SelfManaged: the customer installs the bundle on its own cluster; nothing is placed',
    deliver: 'SelfManaged: the revision is published as a signed bundle, not delivered',
    verify: "SelfManaged: the customer's install report tells what runs (GET /v1/self-managed/environments)",
    remove: 'SelfManaged: nothing of this environment runs on a Fleetplane cluster',
    'reclaim-remove': 'SelfManaged: nothing of this environment runs on a Fleetplane cluster',
  },
};

/** Why `step` is skipped for an environment of this channel, or null when it runs. */
export function skippedFor(channel: Channel, step: StepName): string | null {
  return SKIPPED[channel][step] ?? null;
}

export type NextStep =
  | { done: false; step: StepName; index: number; attempts: number; record?: OperationStep }
  | { done: true };

/**
 * First step of the workflow not yet succeeded (or skipped). Step records are matched by name, so
 * operations created with an empty or partial `steps` list still run the whole workflow.
 */
export function nextStep(kind: OperationKind, records: readonly OperationStep[]): NextStep {
  const byName = new Map(records.map((r) => [r.name, r]));
  const names = WORKFLOWS[kind];
  for (let i = 0; i < names.length; i++) {
    const rec = byName.get(names[i]!);
    if (rec && (rec.state === 'succeeded' || rec.state === 'skipped')) continue;
    return { done: false, step: names[i]!, index: i, attempts: rec?.attempts ?? 0, ...(rec ? { record: rec } : {}) };
  }
  return { done: true };
}

/** Merged step list: the workflow's steps in order with the recorded state of each. */
export function mergeSteps(kind: OperationKind, records: readonly OperationStep[], update?: OperationStep): OperationStep[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  if (update) byName.set(update.name, update);
  const names: string[] = [...WORKFLOWS[kind]];
  for (const r of byName.keys()) if (!names.includes(r)) names.push(r);
  return names.map((n) => byName.get(n) ?? { name: n, state: 'pending', attempts: 0 });
}

export interface StepFailure {
  kind: OperationKind;
  step: StepName;
  /** What the error means (./failure.ts classify). */
  failure: Classification;
  /** Claims of the operation so far, this one included (Operation.attempts), and its limit. */
  attempt: number;
  maxAttempts: number;
  /** Tries of this step so far (a parked step resumes its try), and how many a failed verification gets. */
  stepAttempt: number;
  verifyAttempts: number;
  /** The cluster the step talks to is Unavailable (its heartbeat failed beyond the bound), since when. */
  clusterUnavailable?: { cluster: string; since: string } | undefined;
  /** How often this step has been parked so far (its next check backs off). */
  stepWaits?: number | undefined;
}

/** Failures that mean "the cluster did not answer" (not what it answered). */
const UNREACHABLE: ReadonlySet<string> = new Set(['connection', 'timeout', 'aborted', 'kube-server-error']);

/** Longest wait between two checks of a step parked on an Unavailable cluster. */
export const OUTAGE_RECHECK_MAX_MS = 15_000;

export type AfterFailure =
  /** Another worker may own the operation: write nothing more. */
  | { action: 'stop' }
  /** Park the step (not an attempt) and check again after delayMs. */
  | { action: 'park'; delayMs: number }
  /** Back to the queue; after afterMs when the cluster asked for it, else the queue's backoff. */
  | { action: 'retry'; afterMs?: number }
  /** Failed for good; roll the environment back to its last good revision when `rollback`. */
  | { action: 'fail'; rollback: boolean; why: 'permanent' | 'out of attempts' | 'verify attempts used up' };

/**
 * What to do after a step failed: the one rule for retry, wait, roll back or fail. A delivering
 * workflow whose deliver or verify ran out of tries rolls back; a permanent failure does not (what
 * retrying cannot fix, re-delivering the old revision would not explain), nor does a `rollback`.
 * A step that could not reach a cluster the heartbeat marks Unavailable is parked, not retried.
 */
export function afterStepFailure(f: StepFailure): AfterFailure {
  const { failure } = f;
  if (failure.class === 'lost') return { action: 'stop' };
  if (failure.class === 'waiting') return { action: 'park', delayMs: failure.delayMs ?? recheckDelayMs(1) };
  if (failure.class === 'permanent') return { action: 'fail', rollback: false, why: 'permanent' };
  // The heartbeat already says the cluster is down: wait for it without using up attempts, so an
  // outage of any length fails nothing for good; the step runs again within the recheck of its return.
  const outage = waitOnOutage(f);
  if (outage) return outage;
  const verifyLimit = failure.check === 'verify-failed' && f.stepAttempt >= f.verifyAttempts;
  if (!verifyLimit && f.attempt < f.maxAttempts) return { action: 'retry', ...(failure.retryAfterMs !== undefined ? { afterMs: failure.retryAfterMs } : {}) };
  return { action: 'fail', rollback: rollsBack(f.kind, f.step), why: verifyLimit ? 'verify attempts used up' : 'out of attempts' };
}

/** Parked while the step could not reach a cluster that is Unavailable; null otherwise. */
function waitOnOutage(f: StepFailure): AfterFailure | null {
  if (!f.clusterUnavailable || !UNREACHABLE.has(f.failure.check)) return null;
  return { action: 'park', delayMs: recheckDelayMs((f.stepWaits ?? 0) + 1, 2000, OUTAGE_RECHECK_MAX_MS) };
}

/** A delivering workflow (not a requested rollback) whose deliver or verify gave up goes back to the last good revision. */
function rollsBack(kind: OperationKind, step: StepName): boolean {
  const delivering = WORKFLOWS[kind].includes('deliver') && kind !== 'rollback';
  return delivering && (step === 'verify' || step === 'deliver');
}

/**
 * A waiting step's next check: soon at first (most rollouts finish within seconds), then backing
 * off to `maxMs`, so hundreds of parked verifications cost a handful of claims per second.
 */
export function recheckDelayMs(waits: number, baseMs = 1000, maxMs = 5000): number {
  return Math.round(Math.min(maxMs, baseMs * 1.5 ** Math.max(0, waits - 1)));
}
