// Idempotency-Key checks the application services share (onboarding, offboarding, environment
// actions, tokens): a replayed key must carry the same request, and a key one kind of record already
// holds (an Operation, or an idempotency record: a token, a tenant without environments, ADR 0304)
// belongs to that request. Both refusals are the one domain error IdempotencyKeyReusedError (422).
import type { Store } from '../../domain/ports/store.ts';
import { IdempotencyKeyReusedError } from '../../domain/errors.ts';
import type { Operation } from '../../domain/types.ts';

/** What a service needs to recognise a retry: the caller-scoped key (api/http.ts idempotencyKey), the request's fingerprint, its id. */
export interface IdempotentRequest {
  /** Scoped Idempotency-Key, or undefined when the request carries none. */
  key?: string | undefined;
  requestHash: string;
  requestId?: string | undefined;
}

/** The fingerprint recorded with the key must be this request's. */
export function assertSameRequest(recordedHash: unknown, requestHash: string): void {
  if (recordedHash !== requestHash) throw new IdempotencyKeyReusedError();
}

/** An Operation found by its key must have been started by this same request. */
export function assertSameOperationRequest(op: Operation, requestHash: string): void {
  assertSameRequest(op.params.requestHash, requestHash);
}

/** Routes that start an Operation: a key an idempotency record holds is another request's. */
export async function assertKeyNotRecorded(store: Pick<Store, 'idempotency'>, key: string | undefined): Promise<void> {
  if (key && (await store.idempotency.get(key))) throw new IdempotencyKeyReusedError();
}

/** Routes that do not start an Operation: a key an Operation holds is another request's. */
export async function assertKeyStartedNoOperation(store: Pick<Store, 'operations'>, key: string): Promise<void> {
  if (await store.operations.findByIdempotencyKey(key)) throw new IdempotencyKeyReusedError();
}
