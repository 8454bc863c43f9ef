// Errors from the Kubernetes API, carrying the server's Status reason/message/causes (never the
// request body, so secret values cannot leak into logs). What the API server answered is kept as
// `upstreamStatus` (the engine's classify in src/plan/failure.ts reads it, with `reason` and
// `retryAfterMs`); Fleetplane's own HTTP status for it is 502: a cluster's 403 or 404 is not the
// client's, so a route that lets one through answers problem+json 502 with the cluster's message.
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

/**
 * A refused merge patch answers `… patch: Invalid value: "<the whole patched object as JSON>": <why>`:
 * the object (which may hold a Secret's data, and pushes the reason past any length limit) is dropped,
 * the reason kept.
 */
export function withoutEchoedObject(message: string): string {
  return message.replace(/Invalid value: "\{[\s\S]*\}": /, 'Invalid value: (the patched object, not shown): ');
}

export class KubeApiError extends FleetplaneError {
  override readonly type: string = 'kube-api';
  /** Fleetplane's own answer when this reaches a client: Bad Gateway. */
  override readonly status = 502;
  /** What the API server actually answered. */
  readonly upstreamStatus: number;
  /** The API server's machine-readable reason, e.g. NotFound, Conflict, Invalid, Expired, Forbidden, TooManyRequests. */
  readonly reason: string;
  /** Retry-After of the answer (429, 503), in ms. */
  readonly retryAfterMs: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(opts: { method: string; path: string; httpStatus: number; status?: KubeStatus; retryAfterMs?: number | undefined }) {
    const s = opts.status ?? {};
    const message = withoutEchoedObject(s.message ?? `HTTP ${opts.httpStatus}`).slice(0, MAX_MESSAGE);
    const issues: FieldIssue[] = (s.details?.causes ?? []).map((c) => ({ field: c.field ?? '', message: (c.message ?? c.reason ?? '').slice(0, 300) }));
    // Server-side apply reports unknown fields as a bare 500 without a reason; it is the caller's input.
    const schemaError = !s.reason && SCHEMA_ERROR.test(message);
    const reason = schemaError ? 'Invalid' : (s.reason ?? (opts.httpStatus === 410 ? 'Expired' : opts.httpStatus === 429 ? 'TooManyRequests' : 'Unknown'));
    super(`${opts.method} ${opts.path}: ${reason} (HTTP ${opts.httpStatus}): ${message}`, issues);
    this.upstreamStatus = opts.httpStatus;
    this.reason = reason;
    this.retryAfterMs = opts.retryAfterMs;
    this.method = opts.method;
    this.path = opts.path;
  }
}

/** API discovery does not list the kind (its CRD may not be installed yet). */
export class KindNotServedError extends Error {
  readonly code = 'ERR_KIND_NOT_SERVED';
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`the cluster does not serve kind ${kind} in ${apiVersion}`);
    this.name = 'KindNotServedError';
  }
}

/**
 * Retry-After (RFC 9110): delay-seconds, or an HTTP-date read against the answer's own Date header
 * (so no local clock is needed). Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, date?: string): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  const sent = date ? Date.parse(date) : Number.NaN;
  return Number.isFinite(at) && Number.isFinite(sent) ? Math.max(0, at - sent) : undefined;
}

const upstream = (err: unknown): number | null => (err instanceof KubeApiError ? err.upstreamStatus : null);
export const isNotFound = (err: unknown): boolean => upstream(err) === 404;
export const isConflict = (err: unknown): boolean => upstream(err) === 409;
export const isGone = (err: unknown): boolean => upstream(err) === 410;
export const isInvalid = (err: unknown): boolean => err instanceof KubeApiError && (err.upstreamStatus === 422 || err.reason === 'Invalid' || err.reason === 'BadRequest');
