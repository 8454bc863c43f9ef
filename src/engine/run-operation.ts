// Runs one claimed operation: its workflow's steps from the first one not yet succeeded, each step
// recorded (fenced by the lease) before and after it runs. A failed step puts the operation back
// with SQL-computed backoff; on the last attempt a failed deliver/verify rolls the environment back
// to its last good revision and the operation fails with the cluster's reason. A run cut short
// (lease lost, or handed back on shutdown) is closed in the run history by the worker itself.
import type { Claim } from '../domain/ports/queue.ts';
import type { OperationStep } from '../domain/types.ts';
import { FleetplaneError, coerceError } from '../domain/errors.ts';
import { afterStepFailure, mergeSteps, nextStep, type StepName } from '../plan/workflows.ts';
import { recordStepFailure, startOperation } from '../metrics/engine.ts';
import { PermanentError, StepWaitingError, VerifyFailedError, type EngineDeps, type StepEnv } from './context.ts';
import { LeaseKeeper, LeaseLostError } from './lease.ts';
import { STEPS } from './steps.ts';
import { rollBackToLastGood } from './rollback.ts';
import { markFailed } from './failure-status.ts';

/** waiting: a step was parked (the operation is pending again until its next check). */
export type RunOutcome = 'succeeded' | 'failed' | 'retry' | 'lost' | 'released' | 'waiting';

/** `claimSentAt`: performance.now() just before the claim was sent; the lease's local deadline counts from it. */
export async function runOperation(deps: EngineDeps, claimed: Claim, shutdown: AbortSignal, claimSentAt?: number): Promise<RunOutcome> {
  const op = claimed.operation;
  const log = deps.logger.child({ operationId: op.id, kind: op.kind, tenant: op.tenant, environment: op.environment, attempt: op.attempts });
  const terms = { leaseMs: deps.config.leaseMs, ...(claimSentAt !== undefined ? { claimSentAt } : {}) };
  const keeper = new LeaseKeeper(claimed, terms, shutdown).start();
  const done = startOperation(op.kind);
  const s: StepEnv = {
    deps, op, claimed, signal: keeper.signal, assertLease: () => keeper.assertHeld(),
    log, outputs: outputsOf(op.steps), attempt: 0,
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
  for (;;) {
    const next = nextStep(op.kind, steps);
    if (next.done) {
      const ok = await q.complete({ outputs: s.outputs });
      s.log.info({ ok }, ok ? 'operation succeeded' : 'operation finished but the lease was lost');
      return ok ? 'succeeded' : 'lost';
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

/** Out of tries: a permanent error, the operation's last attempt, or verify's own limit. */
function failureKind(s: StepEnv, err: Error): { permanent: boolean; final: boolean; isVerify: boolean } {
  const isVerify = err instanceof VerifyFailedError;
  const permanent = err instanceof PermanentError || (err instanceof FleetplaneError && err.status < 500);
  const stepLimit = isVerify ? s.deps.config.verifyAttempts : Number.POSITIVE_INFINITY;
  return { permanent, isVerify, final: permanent || s.op.attempts >= s.claimed.maxAttempts || s.attempt >= stepLimit };
}

async function onStepError(s: StepEnv, keeper: LeaseKeeper, f: StepFailure): Promise<RunOutcome> {
  const { deps, op } = s;
  const q = s.claimed;
  if (keeper.lost || f.err instanceof LeaseLostError) return 'lost';
  if (keeper.signal.aborted) {
    // Shutting down: hand the operation back untouched; the next worker re-runs this step.
    s.log.info({ step: f.step }, 'stopping: releasing the operation');
    return (await q.release()) ? 'released' : 'lost';
  }
  if (f.err instanceof StepWaitingError) return park(s, f, f.err);
  recordStepFailure(op.kind, f.step);
  await q.recordStep({ ...f.running, state: 'failed', finishedAt: deps.now().toISOString(), error: f.err.message });
  const kind = failureKind(s, f.err);
  if (!kind.final) {
    const r = await q.fail(f.err.message, { retry: true });
    const retryAt = r && 'runAt' in r ? r.runAt : null;
    s.log.warn({ step: f.step, err: f.err, retryAt }, 'step failed; will retry');
    if (retryAt) deps.wakeAfter?.(Date.parse(retryAt) - deps.now().getTime());
    return r ? 'retry' : 'lost';
  }
  return failForGood(s, f, kind);
}

/** The step waits on the cluster: record why, and hand the operation back until its next check. */
async function park(s: StepEnv, f: StepFailure, wait: StepWaitingError): Promise<RunOutcome> {
  const q = s.claimed;
  const since = s.waiting?.since ?? f.running.startedAt ?? s.deps.now().toISOString();
  const waits = (s.waiting?.waits ?? 0) + 1;
  const rec: OperationStep = { ...f.running, state: 'waiting', finishedAt: s.deps.now().toISOString(), waitingSince: since, waits, message: wait.message };
  if (!(await q.recordStep(rec))) return 'lost';
  s.log.debug({ step: f.step, waits, recheckInMs: wait.delayMs, message: wait.message }, 'step waiting; parked');
  if (!(await q.release(wait.delayMs))) return 'lost';
  s.deps.wakeAfter?.(wait.delayMs);
  return 'waiting';
}

/** Final failure: roll back when the workflow delivers and the failure was deliver/verify. */
async function failForGood(s: StepEnv, f: StepFailure, kind: { permanent: boolean; isVerify: boolean }): Promise<RunOutcome> {
  let result: Record<string, unknown> = { step: f.step, reason: kind.isVerify ? (f.err as VerifyFailedError).reason : f.err.name };
  try {
    if (afterStepFailure(s.op.kind, f.step, 1, 1).rollback && !kind.permanent) {
      const rb = await rollBackToLastGood(s, f.err.message);
      result = { ...result, rolledBackTo: rb.rolledBackTo, rollbackReady: rb.ready, rollback: rb.message };
    } else {
      await markFailed(s, f.step, f.err.message);
    }
  } catch (raw) {
    result = { ...result, rollbackError: coerceError(raw).message };
  }
  s.log.error({ step: f.step, err: f.err, result }, 'operation failed');
  const r = await s.claimed.fail(f.err.message, { retry: false, result });
  return r ? 'failed' : 'lost';
}
