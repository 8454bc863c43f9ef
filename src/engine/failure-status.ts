// Environment status after an operation failed for good without a rollback: the condition says why.
// A delivering operation leaves the environment Degraded when an earlier good revision still runs,
// Failed when nothing good was ever delivered. A refused offboard (held by a rollout) removed
// nothing, so the environment goes back to Ready.
import type { HealthEvent } from '../domain/state.ts';
import type { Environment } from '../domain/types.ts';
import { conditionsFor } from '../plan/conditions.ts';
import type { StepEnv } from './context.ts';
import { setHealth } from './health.ts';
import { markMoveFailed } from './move.ts';

function healthEvent(s: StepEnv, env: Environment, step: string): HealthEvent | null {
  if (s.op.kind === 'offboard') return step === 'check-hold' && env.health === 'Deleting' && env.appliedRevision ? 'keep' : null;
  return env.lastGoodRevision ? 'degrade' : 'fail';
}

export async function markFailed(s: StepEnv, step: string, message: string): Promise<void> {
  if (s.op.kind === 'move') return markMoveFailed(s, step, message);
  if (!s.op.environment) {
    if (s.op.kind !== 'offboard') return;
    const page = await s.deps.store.environments.list({ tenant: s.op.tenant, limit: 500 });
    for (const env of page.items) await mark(s, env, step, message);
    return;
  }
  const env = await s.deps.store.environments.get(s.op.tenant, s.op.environment);
  if (env) await mark(s, env, step, message);
}

async function mark(s: StepEnv, env: Environment, step: string, message: string): Promise<void> {
  const event = healthEvent(s, env, step);
  if (!event) return;
  const reason = s.op.kind === 'offboard' ? 'OffboardRefused' : 'OperationFailed';
  await setHealth(s, env, event, {
    illegal: 'skip',
    with: (health) => ({ conditions: conditionsFor(env.conditions, health, { reason, message: `${s.op.kind} ${s.op.id} failed at ${step}: ${message}` }, s.deps.now()) }),
  });
}
