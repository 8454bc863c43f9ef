// createQueue(db): the Store's `queue`, one SQL operation per module (see ./claim.ts etc.).
import type { Db } from '../db.ts';
import type { OperationQueue, RetryPolicy } from './types.ts';
import { claim } from './claim.ts';
import { heartbeat } from './heartbeat.ts';
import { closeRuns, recordStep } from './record-step.ts';
import { complete } from './complete.ts';
import { fail, release } from './fail.ts';
import { depth, oldestLeaseAge, stepRuns } from './stats.ts';
import { getInventory, saveInventory } from './inventory.ts';
import { busy, holder, listEnvironments, recordDrift, setHold, updateEnvironment } from './environment.ts';

export type * from './types.ts';

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 2000, maxMs: 120_000 };

export function createQueue(db: Db, retry: RetryPolicy = retryFromEnv()): OperationQueue {
  return {
    claim: (workerId, leaseMs, kinds) => claim(db, workerId, leaseMs, kinds),
    heartbeat: (id, token, leaseMs) => heartbeat(db, id, token, leaseMs),
    recordStep: (id, token, step, workerId) => recordStep(db, id, token, step, workerId),
    closeRuns: (id, token, state, error) => closeRuns(db, id, token, state, error),
    complete: (id, token, result) => complete(db, id, token, result),
    fail: (id, leaseToken, error, opts) => fail(db, retry, { id, leaseToken, error, opts }),
    release: (id, token, delayMs) => release(db, id, token, delayMs),
    depth: () => depth(db),
    oldestLeaseAge: () => oldestLeaseAge(db),
    stepRuns: (operationId) => stepRuns(db, operationId),
    inventory: (tenant, environment) => getInventory(db, tenant, environment),
    saveInventory: (tenant, environment, inv, lease) => saveInventory(db, { tenant, environment }, inv, lease),
    updateEnvironment: (tenant, environment, patch, lease) => updateEnvironment(db, { tenant, environment }, patch, lease),
    listEnvironments: (after, limit) => listEnvironments(db, after, limit),
    holder: (tenant, environment) => holder(db, tenant, environment),
    setHold: (tenant, environment, by) => setHold(db, tenant, environment, by),
    recordDrift: (tenant, environment, report) => recordDrift(db, tenant, environment, report),
    busy: (tenant, environment) => busy(db, tenant, environment),
  };
}

/** FLEETPLANE_RETRY_BASE_MS / FLEETPLANE_RETRY_MAX_MS tune operation retry backoff. */
function retryFromEnv(): RetryPolicy {
  const base = Number(process.env.FLEETPLANE_RETRY_BASE_MS);
  const max = Number(process.env.FLEETPLANE_RETRY_MAX_MS);
  return {
    baseMs: Number.isFinite(base) && base > 0 ? base : DEFAULT_RETRY.baseMs,
    maxMs: Number.isFinite(max) && max > 0 ? max : DEFAULT_RETRY.maxMs,
  };
}
