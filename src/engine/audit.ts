// Audit entries written by the engine: actor is the worker, target the tenant/environment.
import type { StepEnv } from './context.ts';

export async function audit(s: StepEnv, action: string, detail: Record<string, unknown>): Promise<void> {
  await s.deps.store.audit.append({
    actor: `engine:${s.deps.config.workerId}`, action, tenant: s.op.tenant, target: `${s.op.tenant}/${s.op.environment ?? '*'}`,
    detail: { operation: s.op.id, kind: s.op.kind, ...detail },
  });
}
