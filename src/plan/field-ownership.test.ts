import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../domain/types.ts';
import { ownsField, withoutField } from './field-ownership.ts';

const hpa = (managedFields: unknown[]): KubeObject => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'acme-prod', managedFields },
  spec: { minReplicas: 2, maxReplicas: 10 },
});

const cases: Array<[string, unknown[], boolean]> = [
  ['owner of the field', [{ manager: 'fleetplane-prescaler', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:minReplicas': {} } } }], true],
  ['owner of a sibling field only', [{ manager: 'fleetplane-prescaler', fieldsV1: { 'f:spec': { 'f:maxReplicas': {} } } }], false],
  ['another manager owns it', [{ manager: 'fleetplane', fieldsV1: { 'f:spec': { 'f:minReplicas': {} } } }], false],
  ['no managedFields', [], false],
];

for (const [name, fields, want] of cases) {
  test(`ownsField: ${name}`, () => {
    assert.equal(ownsField(hpa(fields), 'fleetplane-prescaler', ['spec', 'minReplicas']), want);
  });
}

test('ownsField: a missing live object owns nothing', () => {
  assert.equal(ownsField(null, 'fleetplane-prescaler', ['spec', 'minReplicas']), false);
});

test('withoutField drops only that field and leaves the input untouched', () => {
  const obj = hpa([]);
  const out = withoutField(obj, ['spec', 'minReplicas']);
  assert.deepEqual(out.spec, { maxReplicas: 10 });
  assert.equal((obj.spec as { minReplicas: number }).minReplicas, 2);
});
