// The retry decision as tables: what each error means (classify) and what follows (afterStepFailure).
// Cluster errors are the kube adapter's own (KubeApiError, KindNotServedError) and a real refused
// connection, not look-alikes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { KubeClient } from '../adapters/kube/client.ts';
import { KindNotServedError, KubeApiError } from '../adapters/kube/errors.ts';
import { ConfigurationError, ConflictError, FleetplaneError, InputError, LeaseLostError, NotFoundError, PermanentError, StepWaitingError, StoreUnavailableError, VerifyFailedError } from '../domain/errors.ts';
import { classify, type CheckName, type Classification, type FailureClass } from './failure.ts';
import { OUTAGE_RECHECK_MAX_MS, afterStepFailure, type AfterFailure, type StepFailure } from './workflows.ts';

const kube = (httpStatus: number, reason?: string, extra: { message?: string; retryAfterMs?: number } = {}) =>
  new KubeApiError({ method: 'PATCH', path: '/apis/apps/v1/namespaces/n/deployments/web', httpStatus, status: { ...(reason ? { reason } : {}), ...(extra.message ? { message: extra.message } : {}) }, retryAfterMs: extra.retryAfterMs });
const withCode = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code });
const aborted = (reason: unknown) => Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: reason });

test('classify: each error is decided by one named check', () => {
  const cases: Array<[string, unknown, FailureClass, CheckName, number?]> = [
    ['lease lost', new LeaseLostError('lease lost'), 'lost', 'lease-lost'],
    ['request aborted by the lease', aborted(new LeaseLostError('self-fenced')), 'lost', 'lease-lost'],
    ['waiting on the cluster', new StepWaitingError('progressing', 1500), 'waiting', 'step-waiting'],
    ['not healthy', new VerifyFailedError('pod web-1 not ready', 'PodsNotReady'), 'transient', 'verify-failed'],
    ['missing record', new PermanentError('revision r1 is not stored'), 'permanent', 'engine-refused'],
    ['the store is down or full', new StoreUnavailableError('the store is unavailable: disk full'), 'transient', 'store-unavailable'],
    ['no gitops driver here', new ConfigurationError('no gitops driver is configured'), 'permanent', 'engine-refused'],
    ['throttled, with Retry-After', kube(429, 'TooManyRequests', { retryAfterMs: 3000 }), 'transient', 'kube-throttled', 3000],
    ['throttled, without Retry-After', kube(429), 'transient', 'kube-throttled'],
    ['conflict', kube(409, 'Conflict'), 'transient', 'kube-conflict'],
    ['invalid (422)', kube(422, 'Invalid'), 'permanent', 'kube-invalid'],
    ['bad request (400)', kube(400, 'BadRequest'), 'permanent', 'kube-invalid'],
    ['unknown field (bare 500 from SSA)', kube(500, undefined, { message: '.spec.nope: field not declared in schema' }), 'permanent', 'kube-invalid'],
    ['forbidden by RBAC or admission', kube(403, 'Forbidden'), 'permanent', 'kube-forbidden'],
    ['credentials refused', kube(401, 'Unauthorized'), 'permanent', 'kube-unauthorized'],
    ['namespace not there yet', kube(404, 'NotFound'), 'transient', 'kube-not-found'],
    ['list expired', kube(410, 'Expired'), 'transient', 'kube-gone'],
    ['server error', kube(500, 'InternalError'), 'transient', 'kube-server-error'],
    ['unavailable, with Retry-After', kube(503, 'ServiceUnavailable', { retryAfterMs: 1000 }), 'transient', 'kube-server-error', 1000],
    ['other 4xx', kube(413, 'RequestEntityTooLarge'), 'permanent', 'kube-refused'],
    ['CRD not served yet', new KindNotServedError('monitoring.coreos.com/v1', 'ServiceMonitor'), 'transient', 'kind-not-served'],
    ['connection refused', withCode('ECONNREFUSED'), 'transient', 'connection'],
    ['connection reset', withCode('ECONNRESET'), 'transient', 'connection'],
    ['socket timeout', withCode('ETIMEDOUT'), 'transient', 'timeout'],
    ['AbortSignal.timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'transient', 'timeout'],
    ['aborted, not by the lease', aborted(new Error('engine stopping')), 'transient', 'aborted'],
    ['values the blueprint rejects', new InputError('invalid values: /values/logLevel must be one of ...'), 'permanent', 'input-refused'],
    ['cluster not registered', new NotFoundError('cluster fp-9 is not registered'), 'permanent', 'input-refused'],
    ['domain conflict', new ConflictError('busy'), 'permanent', 'input-refused'],
    ['internal error', new FleetplaneError('store hiccup'), 'transient', 'unclassified'],
    ['git push failed', new Error('failed to push some refs'), 'transient', 'unclassified'],
    ['a thrown string', 'boom', 'transient', 'unclassified'],
  ];
  for (const [what, err, cls, check, retryAfterMs] of cases) {
    const c = classify(err);
    assert.equal(c.class, cls, `${what}: class`);
    assert.equal(c.check, check, `${what}: check`);
    assert.ok(c.reason.length > 0, `${what}: a reason`);
    assert.equal(c.retryAfterMs, retryAfterMs, `${what}: Retry-After`);
  }
  assert.equal(classify(new StepWaitingError('x', 1500)).delayMs, 1500);
});

test('classify: a lease the keeper lost wins over whatever the step threw', () => {
  assert.deepEqual(classify(kube(429), { leaseLost: true }).class, 'lost');
  assert.deepEqual(classify(new InputError('bad'), { leaseLost: true }).check, 'lease-lost');
});

test('classify: a cluster that refuses the connection, as the kube adapter reports it', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const kubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: {} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`;
  const err = await KubeClient.fromKubeconfig({ content: kubeconfig }).version().then(() => null, (e: unknown) => e);
  assert.ok(err, 'the request failed');
  assert.deepEqual([classify(err).class, classify(err).check], ['transient', 'connection']);
});

const failed = (failure: Classification, over: Partial<StepFailure> = {}): AfterFailure =>
  afterStepFailure({ kind: 'upgrade', step: 'deliver', failure, attempt: 1, maxAttempts: 5, stepAttempt: 1, verifyAttempts: 2, ...over });

test('afterStepFailure: retry, park, stop, or fail and roll back, from the classification and the tries left', () => {
  const throttled = classify(kube(429, 'TooManyRequests', { retryAfterMs: 2000 }));
  const invalid = classify(kube(422, 'Invalid'));
  const unhealthy = classify(new VerifyFailedError('no', 'PodsNotReady'));
  const flaky = classify(kube(503));
  assert.deepEqual(failed(throttled), { action: 'retry', afterMs: 2000 }, 'a throttled apply is retried when the cluster says');
  assert.deepEqual(failed(flaky), { action: 'retry' }, 'the queue backs off');
  assert.deepEqual(failed(throttled, { kind: 'onboard', attempt: 5 }), { action: 'fail', rollback: true, why: 'out of attempts' });
  assert.deepEqual(failed(invalid), { action: 'fail', rollback: false, why: 'permanent' }, 'a permanent failure is not retried nor rolled back');
  assert.deepEqual(failed(unhealthy, { step: 'verify', stepAttempt: 1 }), { action: 'retry' });
  assert.deepEqual(failed(unhealthy, { step: 'verify', stepAttempt: 2 }), { action: 'fail', rollback: true, why: 'verify attempts used up' });
  assert.deepEqual(failed(unhealthy, { kind: 'rollback', step: 'verify', stepAttempt: 2 }), { action: 'fail', rollback: false, why: 'verify attempts used up' });
  assert.deepEqual(failed(flaky, { kind: 'offboard', step: 'remove', attempt: 5 }), { action: 'fail', rollback: false, why: 'out of attempts' });
  assert.deepEqual(failed(flaky, { step: 'render', attempt: 5 }), { action: 'fail', rollback: false, why: 'out of attempts' });
  assert.deepEqual(failed(classify(new StepWaitingError('x', 1500))), { action: 'park', delayMs: 1500 });
  assert.deepEqual(failed(classify(new LeaseLostError('x'))), { action: 'stop' });
});

test('afterStepFailure: a cluster the heartbeat marks Unavailable parks what could not reach it, however many attempts were used', () => {
  const down = { cluster: 'fp-9', since: '2026-12-03T06:00:00.000Z' };
  const refused = classify(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16490'), { code: 'ECONNREFUSED' }));
  const timedOut = classify(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
  assert.deepEqual(failed(refused, { clusterUnavailable: down }), { action: 'park', delayMs: 2000 });
  assert.deepEqual(failed(refused, { clusterUnavailable: down, attempt: 5 }), { action: 'park', delayMs: 2000 }, 'no attempt is used while it is down');
  assert.deepEqual(failed(timedOut, { clusterUnavailable: down, stepWaits: 2 }), { action: 'park', delayMs: 4500 }, 'backs off');
  assert.deepEqual(failed(refused, { clusterUnavailable: down, stepWaits: 40 }), { action: 'park', delayMs: OUTAGE_RECHECK_MAX_MS }, 'capped, so it resumes soon after the return');
  assert.deepEqual(failed(refused), { action: 'retry' }, 'a cluster not (yet) Unavailable: the usual backoff');
  assert.deepEqual(failed(classify(kube(422, 'Invalid')), { clusterUnavailable: down }), { action: 'fail', rollback: false, why: 'permanent' }, 'an answer is not an outage');
  assert.deepEqual(failed(classify(kube(409)), { clusterUnavailable: down }), { action: 'retry' }, 'a conflict is the cluster answering');
});
