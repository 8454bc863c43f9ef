// Offboarding: one offboard Operation per tenant; used by DELETE /v1/tenants/{tenant} and the
// io.fleetplane.customer.offboarded CloudEvent.
import type { Store } from '../../domain/ports/store.ts';
import { transitionHealth } from '../../domain/state.ts';
import type { Operation } from '../../domain/types.ts';
import { stepsFor } from '../../plan/workflows.ts';
import { assertKeyNotRecorded, assertSameOperationRequest } from './idempotency.ts';

/**
 * The Operation an earlier request with this key started, or null. Checked before the tenant's
 * existence, so a retry after the offboarding finished (tenant deleted) replays instead of 404.
 */
export async function replayOffboard(store: Store, meta: { key?: string | undefined; requestHash: string }): Promise<Operation | null> {
  if (!meta.key) return null;
  const prior = await store.operations.findByIdempotencyKey(meta.key);
  if (prior) assertSameOperationRequest(prior, meta.requestHash);
  else await assertKeyNotRecorded(store, meta.key);
  return prior;
}

/**
 * One offboard Operation per tenant at a time: a repeated DELETE returns the one in flight.
 * Environments move to Deleting through the health state machine in the same transaction.
 */
export async function offboard(store: Store, tenant: string, meta: { key?: string | undefined; requestHash: string; requestId: string }): Promise<Operation> {
  return store.tx(async (tx) => {
    if (meta.key) {
      const prior = await tx.operations.findByIdempotencyKey(meta.key);
      if (prior) {
        assertSameOperationRequest(prior, meta.requestHash);
        return prior;
      }
    }
    const open = await tx.operations.list({ tenant, state: 'pending', limit: 500 });
    const running = await tx.operations.list({ tenant, state: 'running', limit: 500 });
    const inFlight = [...open.items, ...running.items].find((o) => o.kind === 'offboard');
    if (inFlight) return inFlight;
    const envs = await tx.environments.list({ tenant, limit: 500 });
    for (const e of envs.items) {
      const t = transitionHealth(e.health, 'offboard');
      if (t.ok && t.to !== e.health) await tx.environments.update(tenant, e.name, { health: t.to });
    }
    const { operation } = await tx.operations.create({
      kind: 'offboard', tenant, environment: null, params: { requestHash: meta.requestHash },
      steps: stepsFor('offboard'), idempotencyKey: meta.key ?? null, requestId: meta.requestId,
    });
    return operation;
  });
}
