import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError, withoutEchoedObject } from './errors.ts';

// The shape kube-apiserver v1.37 answers a merge patch with an unknown field under strict validation.
const echoed = ` "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"kind\\":\\"Secret\\",\\"data\\":{\\"password\\":\\"c2VjcmV0\\"},${'\\"x\\":1,'.repeat(200)}\\"metadata\\":{\\"name\\":\\"s\\"}}": strict decoding error: unknown field "spec.topology.versoin"`;

test('a refused merge patch keeps the reason and drops the echoed object (secret values, length)', () => {
  const m = withoutEchoedObject(echoed);
  assert.equal(m, ' "" is invalid: patch: Invalid value: (the patched object, not shown): strict decoding error: unknown field "spec.topology.versoin"');
  const err = new KubeApiError({ method: 'PATCH', path: '/api/v1/namespaces/a/secrets/s', httpStatus: 422, status: { reason: 'Invalid', message: echoed } });
  assert.match(err.message, /unknown field "spec\.topology\.versoin"$/);
  assert.doesNotMatch(err.message, /c2VjcmV0/);
  assert.equal(withoutEchoedObject('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be >= 0'), 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be >= 0');
});
