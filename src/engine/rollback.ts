// Automatic rollback after a delivery or verify failed for good: re-deliver the environment's last
// good revision (pruning what the bad one added), verify it, and record why in the conditions.
import type { Revision } from '../domain/types.ts';
import { conditionsFor } from '../plan/conditions.ts';
import { refOf } from '../domain/kinds.ts';
import { driverContext, driverFor, loadEnvironment, type StepEnv, verifyTimeoutOf } from './context.ts';
import { audit } from './audit.ts';
import { setHealth } from './health.ts';

export interface RollbackOutcome {
  rolledBackTo: string | null;
  ready: boolean;
  message: string;
}

export async function rollBackToLastGood(s: StepEnv, failure: string): Promise<RollbackOutcome> {
  const env = await loadEnvironment(s);
  const q = s.deps.store.queue;
  const bad = typeof s.outputs.render?.revision === 'string' ? s.outputs.render.revision : env.desiredRevision ?? null;
  const goodId = env.lastGoodRevision;
  const now = s.deps.now();
  if (!goodId || goodId === bad) {
    await setHealth(s, env, 'degrade', { with: (health) => ({ conditions: conditionsFor(env.conditions, health, { reason: 'DeliveryFailed', message: failure }, now) }) });
    return { rolledBackTo: null, ready: false, message: 'no last good revision to roll back to' };
  }
  const good = await s.deps.store.revisions.get(env.tenant, env.name, goodId);
  if (!good) return { rolledBackTo: null, ready: false, message: `last good revision ${goodId} is not stored` };
  const inv = await q.inventory(env.tenant, env.name);
  const badRev: Revision | null = bad ? await s.deps.store.revisions.get(env.tenant, env.name, bad) : null;
  const ctx = await driverContext(s, env);
  const driver = driverFor(s.deps, env);
  s.log.warn({ from: bad, to: good.id, failure }, 'rolling back to the last good revision');
  const res = await driver.rollback(ctx, good, { revision: badRev, inventory: inv.objects });
  await s.claimed.saveInventory(env.tenant, env.name, { revision: good.id, objects: res.inventory.length > 0 ? res.inventory : good.objects.map((o) => refOf(o.object)) });
  const v = await driver.verify(ctx, good, { timeoutMs: verifyTimeoutOf(s.deps.config, env) });
  const message = `rolled back to ${good.id} after revision ${bad ?? '?'} failed: ${failure}`;
  const previousValues = s.outputs.render?.previousValues;
  await setHealth(s, env, v.ready ? 'verified' : 'degrade', {
    with: (health) => ({
      conditions: conditionsFor(env.conditions, health, { reason: 'RolledBack', message }, now).filter((c) => c.type !== 'Drifted'),
      appliedRevision: good.id, desiredRevision: good.id, version: good.version,
      ...(previousValues && typeof previousValues === 'object' ? { values: previousValues as Record<string, unknown> } : {}),
    }),
  });
  await audit(s, 'environment.rolled-back', { from: bad, to: good.id, failure, ready: v.ready });
  return { rolledBackTo: good.id, ready: v.ready, message: v.ready ? message : `${message}; the rollback is not ready either: ${v.message ?? ''}` };
}
