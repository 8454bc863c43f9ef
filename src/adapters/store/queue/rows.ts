// Row mapping and the lease fence shared by the queue's SQL modules. Operations map through the
// store's one toOperation (../operations.ts), environments through its toEnvironment.
import type { Environment } from '../../../domain/types.ts';
import { toEnvironment as toStoreEnvironment } from '../environments.ts';
import type { Row } from '../sql.ts';

export type { Row } from '../sql.ts';

/** The lease a worker's write is fenced by: the claimed operation and the claim's token. */
export interface LeaseRef {
  id: string;
  token: string;
}

export const OPERATION_COLUMNS = `id, kind, tenant, environment, state, idempotency_key, params, steps, attempts, result, error,
  request_id, created_at, updated_at, finished_at, lease_token, lease_expires_at, max_attempts`;

/** SQL condition: the lease in parameters $id/$token is still held (the operation runs under that token). */
export const leaseHeld = (id: number, token: number): string =>
  `EXISTS (SELECT 1 FROM operations WHERE id = $${id} AND lease_token = $${token} AND state = 'running')`;

export const ENVIRONMENT_COLUMNS = `tenant, name, type, blueprint, version, "values", cluster, namespace, delivery, self_heal,
  desired_revision, applied_revision, last_good_revision, health, conditions, resource_version, created_at, updated_at, held_by`;

/** The store's environment mapping plus the rollout hold the queue needs. */
export function toEnvironment(r: Row): Environment & { heldBy: string | null } {
  return { ...toStoreEnvironment(r), heldBy: (r.held_by as string | null) ?? null };
}
