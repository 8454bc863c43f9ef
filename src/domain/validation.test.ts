import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dnsLabelIssue, slugIssue, versionIssue, valuesIssues, IssueList, valuesSchemaOf } from './validation.ts';
import { InputError } from './errors.ts';

test('slugs: DNS-1123 labels, reserved names refused', () => {
  const cases: Array<[unknown, boolean]> = [
    ['acme', true], ['a', true], ['acme-corp-2', true], ['a'.repeat(63), true],
    ['a'.repeat(64), false], ['Acme', false], ['-acme', false], ['acme-', false], ['ac_me', false],
    ['', false], [42, false], ['default', false], ['kube-system', false], ['acme.io', false],
  ];
  for (const [value, ok] of cases) assert.equal(slugIssue(value) === null, ok, `slug ${String(value)}`);
});

test('any accepted label is lowercase alnum/dash, 1..63, alnum at both ends', () => {
  fc.assert(fc.property(fc.string({ maxLength: 70 }), (s) => {
    if (dnsLabelIssue(s) !== null) return;
    assert.match(s, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  }));
});

test('versions are semver', () => {
  assert.equal(versionIssue('1.4.0'), null);
  assert.equal(versionIssue('1.4.0-rc.1'), null);
  assert.notEqual(versionIssue('1.4'), null);
  assert.notEqual(versionIssue('v1.4.0'), null);
  assert.notEqual(versionIssue(1), null);
});

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    replicas: { type: 'integer', minimum: 1 },
    web: { type: 'object', additionalProperties: false, properties: { image: { type: 'string' } }, required: ['image'] },
  },
};

test('values checked against the schema: every error as a JSON pointer, nothing coerced', () => {
  assert.deepEqual(valuesIssues(schema, { replicas: 2 }), []);
  const issues = valuesIssues(schema, { replicas: '2', extra: true, web: {} }, '/environments/0/values');
  const fields = issues.map((i) => i.field).sort();
  assert.deepEqual(fields, ['/environments/0/values/extra', '/environments/0/values/replicas', '/environments/0/values/web/image']);
});

test('an invalid schema is reported, not thrown', () => {
  const issues = valuesIssues({ type: 'nope' }, {});
  assert.equal(issues.length, 1);
  assert.match(issues[0]!.message, /schema/);
});

test('values schema found under parameters.schema or valuesSchema', () => {
  assert.equal(valuesSchemaOf({ parameters: { schema } }), schema);
  assert.equal(valuesSchemaOf({ valuesSchema: schema }), schema);
  assert.equal(valuesSchemaOf({}), undefined);
});

test('IssueList throws one InputError naming every field', () => {
  const l = new IssueList().check('/slug', slugIssue('Bad')).check('/version', versionIssue('x')).check('/ok', null);
  assert.equal(l.issues.length, 2);
  assert.throws(() => l.throwIfAny(), (e: unknown) => e instanceof InputError && e.issues.length === 2 && /\/slug/.test(e.message));
});
