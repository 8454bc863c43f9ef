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

export class KubeApiError extends FleetplaneError {
  override readonly type: string = 'kube-api';
  override readonly status: number;
  /** The API server's machine-readable reason, e.g. NotFound, Conflict, Invalid, Expired, Forbidden. */
  readonly reason: string;
  readonly method: string;
  readonly path: string;

  constructor(opts: { method: string; path: string; httpStatus: number; status?: KubeStatus }) {
    const s = opts.status ?? {};
    const message = (s.message ?? `HTTP ${opts.httpStatus}`).slice(0, MAX_MESSAGE);
    const issues: FieldIssue[] = (s.details?.causes ?? []).map((c) => ({ field: c.field ?? '', message: (c.message ?? c.reason ?? '').slice(0, 300) }));
    super(`${opts.method} ${opts.path}: ${s.reason ?? 'Error'}: ${message}`, issues);
    this.status = opts.httpStatus;
    this.reason = s.reason ?? (opts.httpStatus === 410 ? 'Expired' : 'Unknown');
    this.method = opts.method;
    this.path = opts.path;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof KubeApiError && err.status === 410;
export const isInvalid = (err: unknown): boolean => err instanceof KubeApiError && (err.status === 422 || err.reason === 'BadRequest');
