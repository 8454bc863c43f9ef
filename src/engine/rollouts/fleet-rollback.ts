// Fleet-wide rollback (issue #21, strategy.onGateFailure: rollback): when a wave's metric or SLO gate
// fails, every environment this rollout changed — in every wave so far, not only the failing one —
// goes back to the revision it ran before (a `rollback` Operation per environment, which in GitOps
// mode commits the previous manifests for Argo CD to sync, auto-sync and all), and the release is
// marked rejected so no later rollout, onboarding or upgrade picks it until an admin clears it.
// Everything is in the store: the rollout's state (rolling-back -> rolled-back), its status.rollback
// and one idempotency key per environment, so a controller that restarts mid-way queues nothing twice.
import type { Logger } from 'pino';
import type { Store } from '../../domain/ports/store.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Operation } from '../../domain/types.ts';
import type { FleetRollbackStatus, Rollout, RolloutStatus, RolloutTarget } from '../../domain/rollouts.ts';
import { stepsFor } from '../../plan/workflows.ts';

export interface FleetRollbackDeps {
  store: Store;
  workerId: string;
  now: () => Date;
  logger?: Logger;
}

export type FleetRollbackDecision =
  | { kind: 'rolling-back'; environments: number; restored: number; failed: number }
  | { kind: 'rolled-back'; environments: number; restored: number; failed: number; seconds: number };

const key = (r: Rollout, t: RolloutTarget): string => `rollout:${r.id}:rollback:${t.tenant}/${t.environment}`;

/** The revision the environment ran before this rollout's upgrade (the upgrade's render step recorded it). */
function previousRevision(op: Operation | null): string | null {
  const out = op?.steps.find((s) => s.name === 'render')?.output;
  return typeof out?.previousRevision === 'string' ? out.previousRevision : null;
}

type RollbackState = 'restored' | 'pending' | { failed: string };

function stateOf(operation: Operation): RollbackState {
  if (operation.state === 'succeeded') return 'restored';
  if (operation.state === 'failed' || operation.state === 'cancelled') return { failed: operation.error ?? operation.state };
  return 'pending';
}

/** Queues (once, by its key) this target's rollback; where it stands. */
async function rollBackOne(d: FleetRollbackDeps, r: Rollout, t: RolloutTarget, reason: string): Promise<RollbackState> {
  const revision = previousRevision(await d.store.operations.get(t.operationId!));
  if (!revision) return { failed: 'no previous revision recorded' };
  let operation: Operation;
  try {
    ({ operation } = await d.store.operations.create({
      kind: 'rollback', tenant: t.tenant, environment: t.environment,
      params: { revision, rollout: r.id, reason: `fleet rollback: ${reason}` },
      steps: stepsFor('rollback'), idempotencyKey: key(r, t),
    }));
  } catch (err) {
    // E.g. another operation of this environment is in flight: the next tick tries again.
    if (err instanceof ConflictError) return 'pending';
    throw err;
  }
  return stateOf(operation);
}

/** The gate failed: reject the release, mark the rollout rolling-back, and go on as continueFleetRollback. */
export async function startFleetRollback(d: FleetRollbackDeps, r: Rollout, status: RolloutStatus, reason: string): Promise<FleetRollbackDecision> {
  const at = d.now().toISOString();
  const rollback: FleetRollbackStatus = { reason, startedAt: at, environments: 0, restored: 0, failed: [] };
  const next: RolloutStatus = { ...status, rollback };
  // Rejected first: a crash before the transition re-runs the gate, which rejects again (the first
  // rejection is kept) and then moves on; no rollout or onboarding can pick the release meanwhile.
  await d.store.blueprints.reject(r.blueprint, r.version, { reason, rollout: r.id, by: `rollout-controller:${d.workerId}`, at });
  const later = (await d.store.rollouts.targets(r.id)).filter((t) => t.state === 'pending');
  await d.store.tx(async (tx) => {
    await tx.rollouts.saveProgress(r.id, { status: next, currentWave: r.currentWave });
    // Paused or aborted by an admin meanwhile: theirs is the last word (a resumed rollout gates again).
    if (!(await tx.rollouts.transition(r.id, 'rolling-back', reason))) throw new ConflictError(`rollout ${r.id} changed state before its fleet rollback began`);
    // Later waves will never run: their targets are cancelled and their environments let go now,
    // not left pending (and held) in a rollout that ends rolled-back.
    await tx.rollouts.cancelPendingTargets(r.id, 'RolledBack');
    for (const t of later) await tx.rollouts.release(r.id, t);
  });
  await d.store.audit.append({ actor: `rollout-controller:${d.workerId}`, action: 'rollout.rollback', target: r.id, detail: { reason, release: `${r.blueprint}@${r.version}` } });
  d.logger?.warn({ rollout: r.id, reason }, 'gate failed: rolling the fleet back and rejecting the release');
  return continueFleetRollback(d, { ...r, state: 'rolling-back', status: next }, await d.store.rollouts.targets(r.id));
}

/**
 * Queues (idempotently) a rollback for every target this rollout upgraded, counts those finished,
 * and closes the rollout as rolled-back once all are, with the time from the gate to the last one.
 */
export async function continueFleetRollback(d: FleetRollbackDeps, r: Rollout, targets: RolloutTarget[]): Promise<FleetRollbackDecision> {
  const status: RolloutStatus = structuredClone(r.status);
  const rb = (status.rollback ??= { reason: r.reason ?? 'gate failed', startedAt: d.now().toISOString(), environments: 0, restored: 0, failed: [] });
  // Succeeded targets with an operation were changed by this rollout (AlreadyAtVersion ones were not);
  // a failed upgrade was already returned to its last good revision by the engine itself.
  const changed = targets.filter((t) => t.state === 'succeeded' && t.operationId);
  let restored = 0;
  const failed: string[] = [];
  // One read for the rollbacks already queued (every tick after the first): only targets without
  // one are looked at one by one (their upgrade read, their rollback created).
  const queued = new Map((await d.store.operations.findByIdempotencyKeys(changed.map((t) => key(r, t)))).map((o) => [o.idempotencyKey, o]));
  for (const t of changed) {
    const op = queued.get(key(r, t));
    const state = op ? stateOf(op) : await rollBackOne(d, r, t, rb.reason);
    if (state === 'restored') restored++;
    else if (state !== 'pending') failed.push(`${t.tenant}/${t.environment}: ${state.failed}`);
  }
  Object.assign(rb, { environments: changed.length, restored, failed });
  const done = restored + failed.length === changed.length;
  if (!done) {
    await d.store.rollouts.saveProgress(r.id, { status, currentWave: r.currentWave });
    return { kind: 'rolling-back', environments: changed.length, restored, failed: failed.length };
  }
  const end = d.now();
  rb.completedAt = end.toISOString();
  rb.seconds = Math.max(0, (end.getTime() - Date.parse(rb.startedAt)) / 1000);
  await d.store.tx(async (tx) => {
    await tx.rollouts.saveProgress(r.id, { status, currentWave: r.currentWave });
    await tx.rollouts.transition(r.id, 'rolled-back', rb.reason);
    await tx.rollouts.release(r.id);
  });
  d.logger?.info({ rollout: r.id, environments: changed.length, restored, failed: failed.length, seconds: rb.seconds }, 'fleet rollback finished');
  return { kind: 'rolled-back', environments: changed.length, restored, failed: failed.length, seconds: rb.seconds };
}
