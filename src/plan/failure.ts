// What a failed step's error means for its operation: retry it later (transient), stop trying
// (permanent), park it until the cluster is ready (waiting), or stop at once because another worker
// may own it now (lost). A table of named checks, Pepr's filter style: the first check that matches
// decides, and its name and reason are logged with the failure and kept in the failed step's record
// (message), so every retry or rollback can be explained. What happens next (retry, roll back, fail)
// is decided from this classification by afterStepFailure (./workflows.ts), the only place that
// decides it; the queue's SQL only carries that decision out.
//
// Cluster API errors are read by their shape (adapters/kube KubeApiError: `upstreamStatus`,
// `reason`, `retryAfterMs`; Node socket errors: `code`), so this stays free of the adapters.
import { FleetplaneError, LeaseLostError, PermanentError, StepWaitingError, StoreUnavailableError, VerifyFailedError, coerceError } from '../domain/errors.ts';

export type FailureClass = 'permanent' | 'transient' | 'waiting' | 'lost';

export type CheckName =
  | 'lease-lost' | 'step-waiting' | 'verify-failed' | 'engine-refused'
  | 'kube-throttled' | 'kube-conflict' | 'kube-invalid' | 'kube-forbidden' | 'kube-unauthorized' | 'kube-not-found' | 'kube-gone'
  | 'kube-server-error' | 'kube-refused' | 'kind-not-served' | 'connection' | 'timeout' | 'aborted' | 'store-unavailable' | 'input-refused' | 'unclassified';

export interface Classification {
  class: FailureClass;
  /** The check that decided (stable name, for logs and the run history). */
  check: CheckName;
  /** Why, in a few words. */
  reason: string;
  /** The server asked for this wait before the next try (Retry-After). */
  retryAfterMs?: number;
  /** waiting: when to check again. */
  delayMs?: number;
}

/** Facts about the worker beside the error itself. */
export interface FailureContext {
  /** The lease keeper stopped the worker (refused heartbeat or self-fence), whatever the error says. */
  leaseLost?: boolean;
}

interface UpstreamFacts {
  upstreamStatus?: unknown;
  reason?: unknown;
  retryAfterMs?: unknown;
  code?: unknown;
}

type Verdict = Omit<Classification, 'check'>;
interface Check {
  name: CheckName;
  test(err: Error & UpstreamFacts, ctx: FailureContext): Verdict | null;
}

/** Socket-level failures of a request: the server or the network may be back in a moment. */
export const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const status = (e: UpstreamFacts): number | null => (typeof e.upstreamStatus === 'number' ? e.upstreamStatus : null);
const retryAfter = (e: UpstreamFacts): { retryAfterMs?: number } =>
  (typeof e.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs) && e.retryAfterMs >= 0 ? { retryAfterMs: e.retryAfterMs } : {});
const kube = (e: UpstreamFacts, test: (s: number, reason: string) => boolean): boolean => {
  const s = status(e);
  return s !== null && test(s, typeof e.reason === 'string' ? e.reason : '');
};

/** The error or one of its causes (a request aborted by the lease carries LeaseLostError as its cause). */
function causedBy<T extends Error>(err: unknown, type: abstract new (...args: never[]) => T, depth = 0): T | null {
  if (err instanceof type) return err;
  if (depth >= 5 || !(err instanceof Error)) return null;
  return causedBy(err.cause, type, depth + 1);
}

const t = (reason: string, extra: Partial<Verdict> = {}): Verdict => ({ class: 'transient', reason, ...extra });
const p = (reason: string): Verdict => ({ class: 'permanent', reason });

/** In order: the first check that matches decides. */
export const FAILURE_CHECKS: readonly Check[] = [
  { name: 'lease-lost', test: (e, ctx) => (ctx.leaseLost || causedBy(e, LeaseLostError) ? { class: 'lost', reason: 'the lease is gone: another worker may own the operation' } : null) },
  { name: 'step-waiting', test: (e) => (e instanceof StepWaitingError ? { class: 'waiting', reason: 'waiting on the cluster', delayMs: e.delayMs } : null) },
  // Retried up to the engine's verify attempts, then rolled back (afterStepFailure).
  { name: 'verify-failed', test: (e) => (e instanceof VerifyFailedError ? t(`not healthy: ${e.reason}`) : null) },
  { name: 'engine-refused', test: (e) => (e instanceof PermanentError ? p('cannot succeed as asked (missing record, policy or configuration)') : null) },
  // API Priority and Fairness (or a proxy) is shedding load: come back when it says.
  { name: 'kube-throttled', test: (e) => (kube(e, (s) => s === 429) ? t('the cluster API is throttling requests', retryAfter(e)) : null) },
  // An optimistic-concurrency or field-manager conflict: a re-read and re-apply usually passes.
  { name: 'kube-conflict', test: (e) => (kube(e, (s) => s === 409) ? t('conflict on the cluster (changed meanwhile)') : null) },
  // Before the 5xx check: server-side apply answers unknown fields with a bare 500 (reason Invalid).
  { name: 'kube-invalid', test: (e) => (kube(e, (s, r) => s === 400 || s === 422 || r === 'Invalid' || r === 'BadRequest') ? p('the cluster refused the object as invalid') : null) },
  { name: 'kube-forbidden', test: (e) => (kube(e, (s) => s === 403) ? p('the cluster refused the request (forbidden: RBAC or admission)') : null) },
  { name: 'kube-unauthorized', test: (e) => (kube(e, (s) => s === 401) ? p('the cluster did not accept the stored credentials') : null) },
  // A namespace or CRD that is still being created.
  { name: 'kube-not-found', test: (e) => (kube(e, (s) => s === 404) ? t('not found on the cluster (yet)') : null) },
  { name: 'kube-gone', test: (e) => (kube(e, (s) => s === 410) ? t('a list expired on the cluster') : null) },
  { name: 'kube-server-error', test: (e) => (kube(e, (s) => s >= 500) ? t('the cluster API failed', retryAfter(e)) : null) },
  { name: 'kube-refused', test: (e) => (kube(e, (s) => s >= 400) ? p('the cluster refused the request') : null) },
  // API discovery does not list the kind yet: its CRD may be installing.
  { name: 'kind-not-served', test: (e) => (e.code === 'ERR_KIND_NOT_SERVED' ? t('the cluster does not serve the kind (yet)') : null) },
  { name: 'connection', test: (e) => (typeof e.code === 'string' && CONNECTION_CODES.has(e.code) ? t(`cannot reach the cluster (${e.code})`) : null) },
  { name: 'timeout', test: (e) => ((typeof e.code === 'string' && TIMEOUT_CODES.has(e.code)) || e.name === 'TimeoutError' ? t('a request timed out') : null) },
  // Not by the lease (checked first): a request's own deadline or a stopping process.
  { name: 'aborted', test: (e) => (e.name === 'AbortError' ? t('a request was aborted') : null) },
  // The store is down, restarting or out of disk: the step's writes did not happen; try again later.
  { name: 'store-unavailable', test: (e) => (e instanceof StoreUnavailableError ? t('the store is unavailable (down, restarting or out of disk)') : null) },
  // Fleetplane's own validation refused what the operation asks for (e.g. values the blueprint rejects).
  { name: 'input-refused', test: (e) => (e instanceof FleetplaneError && e.status < 500 ? p('invalid request') : null) },
];

const UNCLASSIFIED: Classification = { class: 'transient', check: 'unclassified', reason: 'unexpected error; retried with backoff' };

export function classify(err: unknown, ctx: FailureContext = {}): Classification {
  const e = coerceError(err) as Error & UpstreamFacts;
  for (const check of FAILURE_CHECKS) {
    const v = check.test(e, ctx);
    if (v) return { ...v, check: check.name };
  }
  return UNCLASSIFIED;
}
