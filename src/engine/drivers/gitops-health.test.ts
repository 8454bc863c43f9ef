import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../domain/types.ts';
import { argoStatus, combine, deploymentProblem } from './gitops-health.ts';

const desired: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', labels: { 'fleetplane.io/revision': 'r2' } }, spec: { replicas: 2 } };
const live = (labels: Record<string, string>, status: Record<string, unknown>, generation = 3): KubeObject =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', labels, generation }, spec: { replicas: 2 }, status });
const rolled = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };

const cases: Array<[string, KubeObject | null, string | null, boolean?]> = [
  ['missing: Argo CD has not synced yet', null, 'NotSynced'],
  ['older revision label', live({ 'fleetplane.io/revision': 'r1' }, rolled), 'NotSynced'],
  ['generation not observed', live({ 'fleetplane.io/revision': 'r2' }, { ...rolled, observedGeneration: 2 }), 'Progressing'],
  ['pods not available', live({ 'fleetplane.io/revision': 'r2' }, { ...rolled, availableReplicas: 1 }), 'PodsNotReady'],
  ['old pods still around', live({ 'fleetplane.io/revision': 'r2' }, { ...rolled, replicas: 3 }), 'PodsNotReady'],
  ['progress deadline exceeded is terminal', live({ 'fleetplane.io/revision': 'r2' }, { ...rolled, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet web-1 has timed out progressing.' }] }), 'ProgressDeadlineExceeded', true],
  ['rolled out at the revision', live({ 'fleetplane.io/revision': 'r2' }, rolled), null],
];

for (const [name, obj, reason, terminal] of cases) {
  test(`deploymentProblem: ${name}`, () => {
    const p = deploymentProblem(desired, obj);
    assert.equal(p?.reason ?? null, reason);
    assert.equal(p?.terminal ?? false, terminal ?? false);
  });
}

test('argoStatus reads status.health and status.sync; null without status', () => {
  assert.equal(argoStatus(null), null);
  assert.equal(argoStatus({ apiVersion: 'a', kind: 'Application', metadata: { name: 'x' } }), null);
  assert.deepEqual(argoStatus({ apiVersion: 'a', kind: 'Application', metadata: { name: 'x' }, status: { health: { status: 'Healthy' }, sync: { status: 'Synced', revision: 'abc' } } }),
    { health: 'Healthy', healthMessage: undefined, sync: 'Synced', syncRevision: 'abc' });
});

test('combine: Argo CD can only hold readiness back, never grant it', () => {
  const ready = { ready: true };
  const notReady = { ready: false, reason: 'PodsNotReady', message: 'web: 0/2 available' };
  assert.deepEqual(combine(null, ready), ready);
  assert.deepEqual(combine({ health: 'Healthy', sync: 'Synced' }, notReady), notReady);
  assert.equal(combine({ health: 'Healthy', sync: 'OutOfSync' }, ready).reason, 'NotSynced');
  assert.equal(combine({ health: 'Progressing', sync: 'Synced' }, ready).reason, 'Progressing');
  const degraded = combine({ health: 'Degraded', healthMessage: 'Deployment has failed progressing', sync: 'Synced' }, ready);
  assert.deepEqual([degraded.ready, degraded.reason, degraded.message], [false, 'ArgoDegraded', 'Deployment has failed progressing']);
  assert.deepEqual(combine({ health: 'Healthy', sync: 'Synced' }, ready), ready);
});
