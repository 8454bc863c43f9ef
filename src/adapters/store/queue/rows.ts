// Row -> domain mapping shared by the queue's SQL modules.
import type { Environment, Operation, OperationKind, OperationState, OperationStep } from '../../../domain/types.ts';
import { toEnvironment as toStoreEnvironment } from '../environments.ts';

export type Row = Record<string, unknown>;

export const OPERATION_COLUMNS = `id, kind, tenant, environment, state, idempotency_key, params, steps, attempts, result, error,
  request_id, created_at, updated_at, finished_at, lease_token, lease_expires_at, max_attempts`;

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T)));

export function toOperation(r: Row): Operation {
  return {
    id: String(r.id),
    kind: r.kind as OperationKind,
    tenant: String(r.tenant),
    environment: (r.environment as string | null) ?? null,
    state: r.state as OperationState,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    params: json(r.params, {}),
    steps: json<OperationStep[]>(r.steps, []),
    attempts: Number(r.attempts),
    result: json(r.result, null),
    error: (r.error as string | null) ?? null,
    requestId: (r.request_id as string | null) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export const ENVIRONMENT_COLUMNS = `tenant, name, type, blueprint, version, "values", cluster, namespace, delivery, self_heal,
  desired_revision, applied_revision, last_good_revision, health, conditions, resource_version, created_at, updated_at, held_by`;

/** The store's environment mapping plus the rollout hold the queue needs. */
export function toEnvironment(r: Row): Environment & { heldBy: string | null } {
  return { ...toStoreEnvironment(r), heldBy: (r.held_by as string | null) ?? null };
}
