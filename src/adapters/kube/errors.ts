// Errors from the Kubernetes API, carrying the server's Status reason/message/causes (never the
// request body, so secret values cannot leak into logs). Extends the domain error hierarchy so the
// HTTP layer maps them like any other FleetplaneError.
import { FleetplaneError, type FieldIssue } from '../../domain/errors.ts';

export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

const MAX_MESSAGE = 1000;
const SCHEMA_ERROR = /field not declared in schema|unknown field|strict decoding error/i;

export class KubeApiError extends FleetplaneError {
  override readonly type: string = 'kube-api';
  /** HTTP status for Fleetplane's own API: the server's, except schema errors count as 422. */
  override readonly status: number;
  /** What the API server actually answered. */
  readonly httpStatus: number;
  /** The API server's machine-readable reason, e.g. NotFound, Conflict, Invalid, Expired, Forbidden. */
  readonly reason: string;
  readonly method: string;
  readonly path: string;

  constructor(opts: { method: string; path: string; httpStatus: number; status?: KubeStatus }) {
    const s = opts.status ?? {};
    const message = (s.message ?? `HTTP ${opts.httpStatus}`).slice(0, MAX_MESSAGE);
    const issues: FieldIssue[] = (s.details?.causes ?? []).map((c) => ({ field: c.field ?? '', message: (c.message ?? c.reason ?? '').slice(0, 300) }));
    const schemaError = !s.reason && SCHEMA_ERROR.test(message);
    const reason = schemaError ? 'Invalid' : (s.reason ?? (opts.httpStatus === 410 ? 'Expired' : 'Unknown'));
    super(`${opts.method} ${opts.path}: ${reason} (HTTP ${opts.httpStatus}): ${message}`, issues);
    // Server-side apply reports unknown fields as a bare 500 without a reason; it is the caller's input.
    this.httpStatus = opts.httpStatus;
    this.status = schemaError ? 422 : opts.httpStatus;
    this.reason = reason;
    this.method = opts.method;
    this.path = opts.path;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof KubeApiError && err.status === 410;
export const isInvalid = (err: unknown): boolean => err instanceof KubeApiError && (err.status === 422 || err.reason === 'Invalid' || err.reason === 'BadRequest');
