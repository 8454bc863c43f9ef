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

export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err), { cause: err });
}
