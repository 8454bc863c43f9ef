import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../domain/types.ts';
import { rolloutState } from './rollout.ts';

const obj = (kind: string, spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2): KubeObject =>
  ({ apiVersion: 'apps/v1', kind, metadata: { name: 'x', namespace: 'n', generation }, spec, status });

test('Deployments roll out as kubectl judges them: observed, updated, old ones gone, available', () => {
  const d = (status: Record<string, unknown>) => rolloutState(obj('Deployment', { replicas: 2 }, { observedGeneration: 2, ...status }), 'Deployment');
  assert.deepEqual(rolloutState(obj('Deployment', { replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), 'Deployment'),
    { ready: false, message: 'waiting for the controller to observe the new spec' });
  assert.equal(d({ updatedReplicas: 1, replicas: 2, availableReplicas: 2 }).message, '1 of 2 replicas updated');
  assert.equal(d({ updatedReplicas: 2, replicas: 3, availableReplicas: 2 }).message, '1 old replicas pending termination');
  assert.equal(d({ updatedReplicas: 2, replicas: 2, availableReplicas: 1 }).message, '1 of 2 updated replicas available');
  assert.deepEqual(d({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), { ready: true, message: '2 replicas rolled out' });
  assert.deepEqual(rolloutState(null, 'Deployment'), { ready: false, message: 'not found' });
});

test('StatefulSets wait for ready pods on the update revision; DaemonSets for every scheduled pod', () => {
  const s = (status: Record<string, unknown>, spec: Record<string, unknown> = {}) => rolloutState(obj('StatefulSet', { replicas: 1, ...spec }, { observedGeneration: 2, ...status }), 'StatefulSet');
  assert.equal(s({ readyReplicas: 0, currentRevision: 'a', updateRevision: 'a' }).ready, false);
  assert.equal(s({ readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' }).message, 'waiting for pods to run revision b');
  assert.equal(s({ readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' }).ready, true);
  assert.equal(s({ readyReplicas: 0 }, { updateStrategy: { type: 'OnDelete' } }).ready, true, 'OnDelete is not waited for, as kubectl');
  const ds = (status: Record<string, unknown>) => rolloutState(obj('DaemonSet', {}, { observedGeneration: 2, desiredNumberScheduled: 3, ...status }), 'DaemonSet');
  assert.equal(ds({ updatedNumberScheduled: 2, numberAvailable: 3 }).message, '2 of 3 updated pods scheduled');
  assert.equal(ds({ updatedNumberScheduled: 3, numberAvailable: 2 }).message, '2 of 3 updated pods available');
  assert.equal(ds({ updatedNumberScheduled: 3, numberAvailable: 3 }).ready, true);
});
