import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from '../adapters/kube/errors.ts';
import { IdempotencyKeyReusedError } from '../domain/errors.ts';
import { toProblem } from './problem.ts';

test('a cluster API error that reaches the HTTP edge is a 502 with the cluster\'s message, never the cluster\'s own status', () => {
  for (const [upstream, reason] of [[403, 'Forbidden'], [404, 'NotFound'], [429, 'TooManyRequests'], [500, 'InternalError']] as const) {
    const err = new KubeApiError({
      method: 'GET', path: '/api/v1/namespaces/acme-prod/secrets/db', httpStatus: upstream,
      status: { reason, message: `secrets "db" is ${reason.toLowerCase()} on the cluster` },
    });
    assert.equal(err.upstreamStatus, upstream, 'kept for the engine\'s classify');
    const p = toProblem(err, '/v1/x');
    assert.equal(p.status, 502, `upstream ${upstream}`);
    assert.equal(p.type, 'https://fleetplane.io/problems/kube-api');
    assert.equal(p.title, 'A cluster API refused or failed the request');
    assert.match(p.detail, new RegExp(`${reason} \\(HTTP ${upstream}\\): secrets "db" is`));
  }
});

test('a reused Idempotency-Key is one domain error: 422 naming the header', () => {
  const p = toProblem(new IdempotencyKeyReusedError(), '/v1/rollouts');
  assert.equal(p.status, 422);
  assert.equal(p.type, 'https://fleetplane.io/problems/idempotency-key-reused');
  assert.deepEqual(p.errors, [{ field: 'header:idempotency-key', message: 'already used with a different request' }]);
});
