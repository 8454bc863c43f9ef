import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transitionOperation, transitionHealth, OPERATION_TRANSITIONS, HEALTH_TRANSITIONS, isTerminal } from './state.ts';
import type { OperationState, Health } from './types.ts';

test('operation lifecycle: pending → running → succeeded | failed', () => {
  const cases: Array<[OperationState, Parameters<typeof transitionOperation>[1], OperationState | null]> = [
    ['pending', 'start', 'running'], ['running', 'succeed', 'succeeded'], ['running', 'fail', 'failed'],
    ['pending', 'cancel', 'cancelled'], ['running', 'cancel', 'cancelled'], ['running', 'retry', 'pending'],
    ['pending', 'succeed', null], ['succeeded', 'start', null], ['cancelled', 'retry', null], ['succeeded', 'cancel', null],
  ];
  for (const [from, ev, to] of cases) {
    const t = transitionOperation(from, ev);
    if (to === null) assert.equal(t.ok, false, `${from} --${ev}--> refused`);
    else assert.deepEqual(t, { ok: true, from, to });
  }
});

test('retries stop at the policy limit', () => {
  assert.equal(transitionOperation('running', 'retry', { attempts: 2, retry: { maxAttempts: 3 } }).ok, true);
  const t = transitionOperation('running', 'retry', { attempts: 3, retry: { maxAttempts: 3 } });
  assert.equal(t.ok, false);
  if (!t.ok) assert.match(t.error, /3 attempts/);
});

test('terminal states have no way out except an explicit retry of a failure', () => {
  for (const s of Object.keys(OPERATION_TRANSITIONS) as OperationState[]) {
    if (!isTerminal(s)) continue;
    const out = Object.keys(OPERATION_TRANSITIONS[s]);
    assert.ok(out.every((e) => e === 'retry'), `${s}: ${out.join(',')}`);
  }
});

test('every health target is a known state; Deleted is final', () => {
  const states = new Set(Object.keys(HEALTH_TRANSITIONS));
  for (const edges of Object.values(HEALTH_TRANSITIONS)) for (const to of Object.values(edges)) assert.ok(states.has(to));
  assert.deepEqual(Object.keys(HEALTH_TRANSITIONS.Deleted), []);
  const cases: Array<[Health, Parameters<typeof transitionHealth>[1], Health | null]> = [
    ['Progressing', 'verified', 'Ready'], ['Ready', 'degrade', 'Degraded'], ['Degraded', 'verified', 'Ready'],
    ['Ready', 'offboard', 'Deleting'], ['Deleting', 'deleted', 'Deleted'], ['Deleting', 'deploy', null], ['Deleted', 'deploy', null],
  ];
  for (const [from, ev, to] of cases) {
    const t = transitionHealth(from, ev);
    assert.equal(t.ok ? t.to : null, to, `${from} --${ev}-->`);
  }
});
