// Runs one claimed operation: its workflow's steps from the first one not yet succeeded, each step
// recorded (fenced by the lease) before and after it runs. A failed step's error is classified
// (plan/failure.ts: transient, permanent, waiting or lost, by a named check) and afterStepFailure
// (plan/workflows.ts) decides once what follows: park it, put the operation back (the queue's
// backoff, or the cluster's Retry-After), or fail it, rolling a delivering workflow back to its
// last good revision when its deliver/verify ran out of tries. A step that cannot reach a cluster
// the heartbeat marks Unavailable is parked instead (no attempt used), so an outage fails nothing.
// A run cut short (lease lost, or handed back on shutdown) is closed in the run history by the
// worker itself.
import type { Claim } from '../domain/ports/queue.ts';
import type { OperationStep } from '../domain/types.ts';
import { VerifyFailedError, coerceError } from '../domain/errors.ts';
import { classify, type Classification } from '../plan/failure.ts';
import { afterStepFailure, mergeSteps, nextStep, skippedFor, type AfterFailure, type StepName } from '../plan/workflows.ts';
import { recordStepFailure, startOperation } from '../metrics/engine.ts';
import type { EngineDeps, StepEnv } from './context.ts';
import { LeaseKeeper } from './lease.ts';
import { STEPS } from './steps.ts';
import { rollBackToLastGood } from './rollback.ts';
import { markFailed } from './failure-status.ts';

/** waiting: a step was parked (the operation is pending again until its next check). */
export type RunOutcome = 'succeeded' | 'failed' | 'retry' | 'lost' | 'released' | 'waiting';

/** `claimSentAt`: deps.clock.monotonic() just before the claim was sent; the lease's local deadline counts from it. */
export async function runOperation(deps: EngineDeps, claimed: Claim, shutdown: AbortSignal, claimSentAt?: number): Promise<RunOutcome> {
  const op = claimed.operation;
  const log = deps.logger.child({ operationId: op.id, kind: op.kind, tenant: op.tenant, environment: op.environment, attempt: op.attempts });
  const terms = { leaseMs: deps.config.leaseMs, ...(claimSentAt !== undefined ? { claimSentAt } : {}) };
  const keeper = new LeaseKeeper(claimed, terms, { parent: shutdown, clock: deps.clock }).start();
  const done = startOperation(op.kind);
  const s: StepEnv = {
    deps, op, claimed, signal: keeper.signal, assertLease: () => keeper.assertHeld(),
    log, outputs: outputsOf(op.steps), attempt: 0, channel: 'saas',
  };
  let outcome: RunOutcome | undefined;
  try {
    outcome = await runSteps(s, keeper);
    done(outcome === 'succeeded' || outcome === 'failed' || outcome === 'waiting' ? outcome : 'retried');
    return outcome;
  } finally {
    keeper.stop();
    await closeOwnRuns(s, keeper, outcome);
  }
}

/**
 * Whatever run of this claim is still open gets closed with finishedAt: `released` after a graceful
 * hand-back, otherwise `lease-lost` (also when the run died on an error, since the lease then lapses).
 * Not lease-fenced (the worker's own audit trail); the operation's state is left to the next owner.
 */
async function closeOwnRuns(s: StepEnv, keeper: LeaseKeeper, outcome: RunOutcome | undefined): Promise<void> {
  if (outcome === 'succeeded' || outcome === 'failed' || outcome === 'retry' || outcome === 'waiting') return;
  const state = outcome === 'released' ? 'released' : 'lease-lost';
  const reason = keeper.signal.aborted ? coerceError(keeper.signal.reason).message : outcome === 'lost' ? 'lease lost: a fenced write was refused' : 'worker error';
  try {
    const closed = await s.claimed.closeRuns(state, reason);
    if (closed > 0) s.log.warn({ state, reason, closed }, 'step run closed without finishing');
  } catch (raw) {
    s.log.error({ err: coerceError(raw) }, 'could not close the step run');
  }
}

function outputsOf(steps: OperationStep[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const st of steps) if (st.state === 'succeeded' && st.output) out[st.name] = st.output;
  return out;
}

async function runSteps(s: StepEnv, keeper: LeaseKeeper): Promise<RunOutcome> {
  const { deps, op } = s;
  const q = s.claimed;
  let steps = mergeSteps(op.kind, op.steps);
  s.channel = (await deps.store.tenants.get(op.tenant))?.channel ?? 'saas';
  for (;;) {
    const next = nextStep(op.kind, steps);
    if (next.done) {
      const ok = await q.complete({ outputs: s.outputs });
      s.log.info({ ok }, ok ? 'operation succeeded' : 'operation finished but the lease was lost');
      return ok ? 'succeeded' : 'lost';
    }
    const skip = skippedFor(s.channel, next.step);
    if (skip) {
      const at = deps.now().toISOString();
      const skipped: OperationStep = { name: next.step, state: 'skipped', attempts: 0, startedAt: at, finishedAt: at, message: skip };
      if (!(await q.recordStep(skipped))) return 'lost';
      steps = mergeSteps(op.kind, steps, skipped);
      s.log.debug({ step: next.step, reason: skip }, 'step skipped');
      continue;
    }
    const running = beginStep(s, next);
    if (!(await q.recordStep(running))) return 'lost';
    try {
      const output = await STEPS[next.step](s);
      const ok: OperationStep = { ...running, state: 'succeeded', finishedAt: deps.now().toISOString(), output };
      if (!(await q.recordStep(ok))) return 'lost';
      s.outputs[next.step] = output;
      steps = mergeSteps(op.kind, steps, ok);
      s.log.debug({ step: next.step, output }, 'step succeeded');
    } catch (raw) {
      return onStepError(s, keeper, { step: next.step, running, err: coerceError(raw) });
    }
  }
}

/** The running record of the next step; a parked step resumes its attempt, its timeout still counting from when it began waiting. */
function beginStep(s: StepEnv, next: { step: StepName; attempts: number; record?: OperationStep }): OperationStep {
  const parked = next.record?.state === 'waiting' ? next.record : undefined;
  s.attempt = parked ? Math.max(parked.attempts, 1) : next.attempts + 1;
  const startedAt = s.deps.now().toISOString();
  s.waiting = parked ? { since: parked.waitingSince ?? parked.startedAt ?? startedAt, waits: parked.waits ?? 0 } : undefined;
  return {
    name: next.step, state: 'running', attempts: s.attempt, startedAt,
    ...(s.waiting ? { waitingSince: s.waiting.since, waits: s.waiting.waits } : {}),
  };
}

interface StepFailure { step: StepName; running: OperationStep; err: Error }

async function onStepError(s: StepEnv, keeper: LeaseKeeper, f: StepFailure): Promise<RunOutcome> {
  const { deps, op } = s;
  const failure = classify(f.err, { leaseLost: keeper.lost });
  if (failure.class === 'lost') return 'lost';
  if (keeper.signal.aborted) {
    // Shutting down: hand the operation back untouched; the next worker re-runs this step.
    s.log.info({ step: f.step }, 'stopping: releasing the operation');
    return (await s.claimed.release()) ? 'released' : 'lost';
  }
  const down = failure.class === 'transient' ? await unavailableCluster(s, f.step) : undefined;
  const next = afterStepFailure({
    kind: op.kind, step: f.step, failure, attempt: op.attempts, maxAttempts: s.claimed.maxAttempts,
    stepAttempt: s.attempt, verifyAttempts: deps.config.verifyAttempts, clusterUnavailable: down, stepWaits: s.waiting?.waits ?? 0,
  });
  if (next.action === 'stop') return 'lost';
  if (next.action === 'park' && down) return park(s, f, next.delayMs, down);
  if (next.action === 'park') return park(s, f, next.delayMs);
  recordStepFailure(op.kind, f.step);
  const why = `${failure.check}: ${failure.reason}`;
  await s.claimed.recordStep({ ...f.running, state: 'failed', finishedAt: deps.now().toISOString(), error: f.err.message, message: why });
  if (next.action === 'retry') return retry(s, f, failure, next);
  return failForGood(s, f, failure, next);
}

/** Back to the queue: after the cluster's Retry-After when it gave one, else the queue's backoff. */
async function retry(s: StepEnv, f: StepFailure, failure: Classification, next: Extract<AfterFailure, { action: 'retry' }>): Promise<RunOutcome> {
  const { deps } = s;
  const retryAt = next.afterMs !== undefined ? new Date(deps.now().getTime() + next.afterMs) : undefined;
  const r = await s.claimed.fail(f.err.message, { retry: true, ...(retryAt ? { retryAt } : {}) });
  const runAt = r && 'runAt' in r ? r.runAt : null;
  s.log.warn({ step: f.step, err: f.err, check: failure.check, class: failure.class, retryAt: runAt }, 'step failed; will retry');
  if (runAt) deps.wakeAfter?.(Date.parse(runAt) - deps.now().getTime());
  return r ? 'retry' : 'lost';
}

/** The cluster the step talks to (a move's source for its source steps, else the target / placement). */
const SOURCE_STEPS: ReadonlySet<string> = new Set(['move-stop-source', 'move-remove']);

/** The cluster the failed step talks to, when the heartbeat marks it Unavailable (best effort: undefined on any doubt). */
async function unavailableCluster(s: StepEnv, step: StepName): Promise<{ cluster: string; since: string } | undefined> {
  try {
    const p = s.op.params;
    let name: unknown = s.op.kind === 'move' ? (SOURCE_STEPS.has(step) ? p.from : p.to) : s.op.kind === 'reclaim' ? p.cluster : undefined;
    if (typeof name !== 'string' && s.op.environment) name = (await s.deps.store.environments.get(s.op.tenant, s.op.environment))?.placement.cluster;
    if (typeof name !== 'string' || name === '') return undefined;
    const h = (await s.deps.store.clusters.get(name))?.health;
    return h?.state === 'Unavailable' ? { cluster: name, since: h.since } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The step waits on the cluster: record why, and hand the operation back until its next check.
 * Parked on an Unavailable cluster (`down`), the step's wait restarts: time the cluster was away
 * does not count against a verification's timeout once it is back.
 */
async function park(s: StepEnv, f: StepFailure, delayMs: number, down?: { cluster: string; since: string }): Promise<RunOutcome> {
  const q = s.claimed;
  const now = s.deps.now().toISOString();
  const since = down ? now : s.waiting?.since ?? f.running.startedAt ?? now;
  const waits = (s.waiting?.waits ?? 0) + 1;
  const message = down ? `cluster ${down.cluster} is Unavailable (since ${down.since}): waiting for it to return; ${f.err.message}` : f.err.message;
  const rec: OperationStep = { ...f.running, state: 'waiting', finishedAt: now, waitingSince: since, waits, message };
  if (!(await q.park(rec, delayMs))) return 'lost';
  s.log.debug({ step: f.step, waits, recheckInMs: delayMs, message }, 'step waiting; parked');
  s.deps.wakeAfter?.(delayMs);
  return 'waiting';
}

/** Final failure: roll back when afterStepFailure says so, else record why the environment is not healthy. */
async function failForGood(s: StepEnv, f: StepFailure, failure: Classification, next: Extract<AfterFailure, { action: 'fail' }>): Promise<RunOutcome> {
  const reason = f.err instanceof VerifyFailedError ? f.err.reason : f.err.name;
  let result: Record<string, unknown> = { step: f.step, reason, check: failure.check, why: next.why };
  try {
    if (next.rollback) {
      const rb = await rollBackToLastGood(s, f.err.message);
      result = { ...result, rolledBackTo: rb.rolledBackTo, rollbackReady: rb.ready, rollback: rb.message };
    } else {
      await markFailed(s, f.step, f.err.message);
    }
  } catch (raw) {
    result = { ...result, rollbackError: coerceError(raw).message };
  }
  s.log.error({ step: f.step, err: f.err, check: failure.check, result }, 'operation failed');
  const r = await s.claimed.fail(f.err.message, { retry: false, result });
  return r ? 'failed' : 'lost';
}
