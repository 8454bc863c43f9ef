// createQueue(db, retry): the Store's `queue`, one SQL operation per module (see ./claim.ts etc.).
// claim() returns a Claim: every write method on it carries the claim's operation id, lease token
// and worker id itself, so a worker cannot write without its lease (domain/ports/queue.ts).
import type { Db } from '../db.ts';
import type { Claim, OperationQueue, RetryPolicy } from '../../../domain/ports/queue.ts';
import { claim, type ClaimedRow } from './claim.ts';
import { heartbeat } from './heartbeat.ts';
import { closeRuns, park, recordStep } from './record-step.ts';
import { complete } from './complete.ts';
import { fail, release } from './fail.ts';
import { stepRuns } from './stats.ts';
import { getInventory, saveInventory } from './inventory.ts';
import { busy, holder, listEnvironments, recordDrift, setEnvironmentStatus } from './environment.ts';

/** Operation retry backoff: base 2 s, doubling per attempt, capped at 2 minutes (FLEETPLANE_RETRY_BASE_MS / _MAX_MS). */
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2000, maxMs: 120_000 };

export function createQueue(db: Db, retry: RetryPolicy = DEFAULT_RETRY): OperationQueue {
  return {
    claim: async (workerId, leaseMs, kinds) => {
      const row = await claim(db, workerId, leaseMs, kinds);
      return row ? claimHandle(db, retry, row, workerId) : null;
    },
    stepRuns: (operationId) => stepRuns(db, operationId),
    inventory: (tenant, environment) => getInventory(db, tenant, environment),
    listEnvironments: (after, limit) => listEnvironments(db, after, limit),
    holder: (tenant, environment) => holder(db, tenant, environment),
    recordDrift: (tenant, environment, report) => recordDrift(db, tenant, environment, report),
    busy: (tenant, environment) => busy(db, tenant, environment),
  };
}

function claimHandle(db: Db, retry: RetryPolicy, row: ClaimedRow, workerId: string): Claim {
  const id = row.operation.id;
  const token = row.leaseToken;
  const lease = { id, token };
  return {
    operation: row.operation,
    leaseExpiresAt: row.leaseExpiresAt,
    maxAttempts: row.maxAttempts,
    heartbeat: (leaseMs) => heartbeat(db, id, token, leaseMs),
    recordStep: (step) => recordStep(db, id, token, step, workerId),
    closeRuns: (state, error) => closeRuns(db, id, token, state, error),
    complete: (result) => complete(db, id, token, result),
    fail: (error, opts) => fail(db, retry, { id, leaseToken: token, error, opts }),
    release: (delayMs) => release(db, id, token, delayMs),
    park: (step, delayMs) => park(db, id, token, step, delayMs),
    setEnvironmentStatus: (tenant, environment, patch) => setEnvironmentStatus(db, { tenant, environment }, patch, lease),
    saveInventory: (tenant, environment, inv) => saveInventory(db, { tenant, environment }, inv, lease),
  };
}
