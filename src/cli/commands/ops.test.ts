import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepSummary, type OperationView } from './ops.ts';

const op = (state: string, steps: Array<[string, string]>): OperationView =>
  ({ id: 'op-1', kind: 'onboard', tenant: 'acme', environment: 'prod', state, createdAt: '2026-01-01T00:00:00Z', steps: steps.map(([name, s]) => ({ name, state: s, attempts: 1 })) }) as OperationView;

test('the STEPS column names the current step and says when it is parked', () => {
  assert.equal(stepSummary(op('running', [['render', 'succeeded'], ['deliver', 'running'], ['verify', 'pending']])), '1/3 deliver');
  assert.equal(stepSummary(op('pending', [['render', 'succeeded'], ['deliver', 'succeeded'], ['verify', 'waiting'], ['record', 'pending']])), '2/4 verify (waiting)');
  assert.equal(stepSummary(op('succeeded', [['render', 'succeeded'], ['verify', 'succeeded']])), '2/2');
});
