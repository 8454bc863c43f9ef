import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etagOf } from './http.ts';
import { toProblem, PROBLEM_BASE } from './problem.ts';
import { InputError, NotFoundError, PreconditionFailedError } from '../domain/errors.ts';

test('etags are quoted resource versions', () => {
  assert.equal(etagOf(7), '"7"');
});

test('toProblem maps typed errors, validation errors and Fastify codes to stable problem types', () => {
  const cases: Array<[unknown, number, string]> = [
    [new InputError('bad', [{ field: '/slug', message: 'x' }]), 400, 'invalid-input'],
    [new NotFoundError('nope'), 404, 'not-found'],
    [new PreconditionFailedError('stale'), 412, 'precondition-failed'],
    [Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'body-too-large'],
    [Object.assign(new Error('bad type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 415, 'unsupported-media-type'],
    [Object.assign(new SyntaxError('Unexpected end of JSON input'), { statusCode: 400 }), 400, 'malformed-body'],
    [new Error('boom'), 500, 'internal'],
    ['a string', 500, 'internal'],
  ];
  for (const [err, status, type] of cases) {
    const p = toProblem(err, '/x');
    assert.equal(p.status, status, String(err));
    assert.equal(p.type, PROBLEM_BASE + type);
    assert.equal(p.instance, '/x');
  }
  const internal = toProblem(new Error('password=hunter2'), '/x');
  assert.ok(!internal.detail.includes('hunter2'), 'internal errors never echo their message');
});

test('Ajv validation errors become field pointers prefixed by the request part', () => {
  const err = Object.assign(new Error('v'), {
    validationContext: 'querystring',
    validation: [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'colour' }, message: 'x', schemaPath: '' }],
  });
  const p = toProblem(err, '/v1/tenants');
  assert.equal(p.status, 400);
  assert.deepEqual(p.errors, [{ field: 'query:/colour', message: 'unknown field' }]);
});
