// Offboard steps. An offboard operation names one environment, or none (tenant offboarding, as
// DELETE /v1/tenants/{tenant} creates it): then it covers every environment of the tenant and marks
// the tenant deleted at the end. Objects go in reverse apply order, the namespace last; the audit
// log keeps the record.
import type { Environment } from '../domain/types.ts';
import { conditionsFor } from '../plan/conditions.ts';
import { dedupe } from '../plan/diff.ts';
import { refOf } from '../domain/kinds.ts';
import { PermanentError } from '../domain/errors.ts';
import { driverContext, driverFor, type StepEnv } from './context.ts';
import { audit } from './audit.ts';
import { setHealth } from './health.ts';

async function targets(s: StepEnv): Promise<Environment[]> {
  const { store } = s.deps;
  if (s.op.environment) {
    const env = await store.environments.get(s.op.tenant, s.op.environment);
    if (!env) throw new PermanentError(`environment ${s.op.tenant}/${s.op.environment} does not exist`);
    return [env];
  }
  const out: Environment[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.environments.list({ tenant: s.op.tenant, limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

export async function checkHoldStep(s: StepEnv): Promise<Record<string, unknown>> {
  const held: string[] = [];
  for (const env of await targets(s)) {
    const holder = await s.deps.store.queue.holder(env.tenant, env.name);
    if (holder) held.push(`${env.name} (rollout ${holder})`);
  }
  if (held.length > 0 && s.op.params.force !== true) {
    throw new PermanentError(`offboard refused: held by a rollout: ${held.join(', ')}; offboard with force to override`);
  }
  return { held, forced: held.length > 0 };
}

export async function removeStep(s: StepEnv): Promise<Record<string, unknown>> {
  const q = s.deps.store.queue;
  let removed = 0;
  for (const env of await targets(s)) {
    if (env.health === 'Deleted') continue;
    const inv = await q.inventory(env.tenant, env.name);
    const applied = env.appliedRevision ? await s.deps.store.revisions.get(env.tenant, env.name, env.appliedRevision) : null;
    const refs = dedupe([...inv.objects, ...(applied?.objects.map((o) => refOf(o.object)) ?? [])]);
    await setHealth(s, env, 'offboard', { with: (health) => ({ conditions: conditionsFor(env.conditions, health, { reason: 'Offboarding', message: `removing ${refs.length} objects` }, s.deps.now()) }) });
    if (env.placement.cluster) {
      const res = await driverFor(s.deps, env).remove(await driverContext(s, env), refs);
      removed += res.removed.length;
    }
    await s.claimed.saveInventory(env.tenant, env.name, { revision: null, objects: [] });
  }
  return { removed };
}

export async function recordOffboardStep(s: StepEnv): Promise<Record<string, unknown>> {
  const names: string[] = [];
  for (const env of await targets(s)) {
    await setHealth(s, env, 'deleted', {
      with: (health) => ({ appliedRevision: null, conditions: conditionsFor(env.conditions, health, { reason: 'Offboarded', message: `removed by operation ${s.op.id}` }, s.deps.now()) }),
    });
    names.push(env.name);
  }
  if (!s.op.environment) await s.deps.store.tenants.markDeleted(s.op.tenant);
  await audit(s, s.op.environment ? 'environment.offboarded' : 'tenant.offboarded', { environments: names });
  return { deleted: names };
}
