import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unmovable } from './evacuate.ts';

test('an environment delivered through GitOps is movable (ADR 1030); never delivered or being offboarded is not', () => {
  assert.equal(unmovable({ health: 'Ready', appliedRevision: 'r1' }), null);
  for (const delivery of ['direct', 'gitops'] as const) {
    assert.equal(unmovable({ health: 'Ready', appliedRevision: 'r1', delivery } as Parameters<typeof unmovable>[0]), null, delivery);
  }
  assert.equal(unmovable({ health: 'Deleting', appliedRevision: 'r1' }), 'being offboarded');
  assert.equal(unmovable({ health: 'Unknown', appliedRevision: null }), 'nothing delivered yet');
});
