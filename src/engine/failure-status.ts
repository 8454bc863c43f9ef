// Environment status after an operation failed for good without a rollback: the condition says why.
// A delivering operation leaves the environment Degraded when an earlier good revision still runs,
// Failed when nothing good was ever delivered. A refused offboard (held by a rollout) removed
// nothing, so the environment goes back to Ready.
import type { Environment, Health } from '../domain/types.ts';
import { conditionsFor } from '../plan/conditions.ts';
import type { StepEnv } from './context.ts';

function healthAfter(s: StepEnv, env: Environment, step: string): Health | null {
  if (s.op.kind === 'offboard') return step === 'check-hold' && env.health === 'Deleting' && env.appliedRevision ? 'Ready' : null;
  return env.lastGoodRevision ? 'Degraded' : 'Failed';
}

export async function markFailed(s: StepEnv, step: string, message: string): Promise<void> {
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
  const health = healthAfter(s, env, step);
  if (!health) return;
  const reason = s.op.kind === 'offboard' ? 'OffboardRefused' : 'OperationFailed';
  const conditions = conditionsFor(env.conditions, health, { reason, message: `${s.op.kind} ${s.op.id} failed at ${step}: ${message}` }, s.deps.now());
  await s.claimed.setEnvironmentStatus(env.tenant, env.name, { health, conditions });
}
