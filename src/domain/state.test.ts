import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transitionOperation, transitionHealth, operationEdge, OPERATION_TRANSITIONS, HEALTH_TRANSITIONS, type OperationEvent } from './state.ts';
import type { OperationState, Health } from './types.ts';

test('operation lifecycle: pending → running → succeeded | failed, retried or released back to pending', () => {
  const cases: Array<[OperationState, OperationEvent, OperationState | null]> = [
    ['pending', 'claim', 'running'], ['running', 'claim', 'running'], ['running', 'succeed', 'succeeded'], ['running', 'fail', 'failed'],
    ['running', 'retry', 'pending'], ['running', 'release', 'pending'], ['pending', 'cancel', 'cancelled'],
    ['pending', 'succeed', null], ['running', 'cancel', null], ['succeeded', 'claim', null], ['failed', 'retry', null], ['cancelled', 'claim', null],
  ];
  for (const [from, ev, to] of cases) {
    const t = transitionOperation(from, ev);
    if (to === null) assert.equal(t.ok, false, `${from} --${ev}--> refused`);
    else assert.deepEqual(t, { ok: true, from, to });
  }
});

test('the SQL guard of each event comes from the machine, and each event leads to one state', () => {
  assert.deepEqual(operationEdge('claim'), { from: ['pending', 'running'], to: 'running' });
  assert.deepEqual(operationEdge('retry'), { from: ['running'], to: 'pending' });
  assert.deepEqual(operationEdge('fail'), { from: ['running'], to: 'failed' });
  assert.deepEqual(operationEdge('cancel'), { from: ['pending'], to: 'cancelled' });
  for (const ev of ['claim', 'succeed', 'fail', 'retry', 'release', 'cancel'] as OperationEvent[]) {
    const targets = new Set(Object.values(OPERATION_TRANSITIONS).map((edges) => (edges as Partial<Record<OperationEvent, OperationState>>)[ev]).filter(Boolean));
    assert.equal(targets.size, 1, `${ev} leads to one state`);
  }
});

test('finished operations have no way out', () => {
  for (const s of ['succeeded', 'failed', 'cancelled'] as const) assert.deepEqual(Object.keys(OPERATION_TRANSITIONS[s]), []);
});

test('every health target is a known state; Deleted only stays Deleted', () => {
  const states = new Set(Object.keys(HEALTH_TRANSITIONS));
  for (const edges of Object.values(HEALTH_TRANSITIONS)) for (const to of Object.values(edges)) assert.ok(states.has(to));
  assert.deepEqual(Object.values(HEALTH_TRANSITIONS.Deleted), ['Deleted']);
  const cases: Array<[Health, Parameters<typeof transitionHealth>[1], Health | null]> = [
    ['Progressing', 'verified', 'Ready'], ['Ready', 'degrade', 'Degraded'], ['Degraded', 'verified', 'Ready'], ['Failed', 'fail', 'Failed'],
    ['Ready', 'offboard', 'Deleting'], ['Deleting', 'deleted', 'Deleted'], ['Deleting', 'keep', 'Ready'], ['Deleted', 'deleted', 'Deleted'],
    ['Deleting', 'deploy', null], ['Deleting', 'fail', null], ['Deleted', 'deploy', null], ['Ready', 'keep', null],
  ];
  for (const [from, ev, to] of cases) {
    const t = transitionHealth(from, ev);
    assert.equal(t.ok ? t.to : null, to, `${from} --${ev}-->`);
  }
});
