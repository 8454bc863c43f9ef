// Typed errors thrown by handlers and the core; the API maps them to RFC 9457 problems in one place
// (as Backstage's MiddlewareFactory does). Never throw a non-Error: wrap with coerceError.

export interface FieldIssue {
  /** JSON pointer of the offending field, e.g. "/environments/0/name". */
  field: string;
  message: string;
}

export class FleetplaneError extends Error {
  /** Stable problem type slug, appended to https://fleetplane.io/problems/. */
  readonly type: string = 'internal';
  readonly status: number = 500;
  constructor(message: string, readonly issues: FieldIssue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InputError extends FleetplaneError {
  override readonly type = 'invalid-input';
  override readonly status = 400;
}

export class UnauthorizedError extends FleetplaneError {
  override readonly type = 'unauthorized';
  override readonly status = 401;
}

export class ForbiddenError extends FleetplaneError {
  override readonly type = 'forbidden';
  override readonly status = 403;
}

export class NotFoundError extends FleetplaneError {
  override readonly type = 'not-found';
  override readonly status = 404;
}

export class ConflictError extends FleetplaneError {
  override readonly type = 'conflict';
  override readonly status = 409;
}

export class PreconditionFailedError extends FleetplaneError {
  override readonly type = 'precondition-failed';
  override readonly status = 412;
}

/**
 * The store cannot take the request now: its server is down or restarting, the connection was cut, or
 * it is out of disk or connections. Nothing was written; the same request may be sent again later.
 */
export class StoreUnavailableError extends FleetplaneError {
  override readonly type = 'store-unavailable';
  override readonly status = 503;
  /** What the API sends as Retry-After. */
  readonly retryAfterSeconds = 5;
}

/**
 * An Idempotency-Key already used with a different request: another body on the same route, or a
 * key another route already recorded (an Operation, a token, a tenant without environments). One
 * error for every route and service, so none of them translates it.
 */
export class IdempotencyKeyReusedError extends FleetplaneError {
  override readonly type = 'idempotency-key-reused';
  override readonly status = 422;
  constructor(message = 'the Idempotency-Key was already used with a different request body') {
    super(message, [{ field: 'header:idempotency-key', message: 'already used with a different request' }]);
  }
}

// ---- how a step of an Operation ends when it does not succeed ----
// The engine's one retry decision (src/plan/failure.ts `classify`, then `afterStepFailure` in
// src/plan/workflows.ts) reads these; they are plain Errors (no HTTP status): they never reach a client.

/** A failure that retrying cannot fix (a record that is missing, refused by policy). */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * This process is not set up to do the work (e.g. no GitOps driver configured): the operator's to
 * fix, not the request's. Permanent for the operation; never a 4xx of the user's request.
 */
export class ConfigurationError extends PermanentError {}

/** Not healthy yet, not failed either: park the step and check again after `delayMs`. */
export class StepWaitingError extends Error {
  override readonly name = 'StepWaitingError';
  constructor(message: string, readonly delayMs: number) {
    super(message);
  }
}

/** The cluster said the revision is not healthy; message carries its reason. */
export class VerifyFailedError extends Error {
  override readonly name = 'VerifyFailedError';
  constructor(message: string, readonly reason: string) {
    super(message);
  }
}

/** The worker may no longer write for this operation; its step stops and its run closes as `lease-lost`. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err), { cause: err });
}
