import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../domain/types.ts';
import { applicationView } from './argocd-status.ts';
import { argoDriftItems, argoSnapshot } from './gitops-argo.ts';
import { deploymentProblem } from './gitops-health.ts';

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

const app = (status: Record<string, unknown>): KubeObject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' }, status });

test('argoSnapshot: ready only when Synced + Healthy at a commit that holds the revision', async () => {
  const holds = async (c: string) => ({ c1: 'r1', c2: 'r2' } as Record<string, string>)[c] ?? null;
  const snap = (status: Record<string, unknown>) => argoSnapshot(applicationView(app(status)), 'a', holds, 'r2');
  assert.equal((await argoSnapshot(null, 'a', holds, 'r2'))?.reason, 'NotSynced', 'no Application yet');
  assert.equal(await snap({ sync: { status: 'Synced', revision: 'c2' }, health: { status: 'Healthy' } }), null);
  const old = await snap({ sync: { status: 'Synced', revision: 'c1' }, health: { status: 'Healthy' } });
  assert.deepEqual([old?.reason, /holds revision r1 .*want r2/.test(old?.message ?? '')], ['NotSynced', true], 'Synced at an older commit is not ready');
  assert.equal((await snap({ sync: { status: 'OutOfSync', revision: 'c2' }, health: { status: 'Healthy' } }))?.reason, 'NotSynced');
  assert.equal((await snap({ sync: { status: 'Synced', revision: 'c2' }, health: { status: 'Progressing' } }))?.reason, 'Progressing');
  const degraded = await snap({ sync: { status: 'Synced', revision: 'c2' }, health: { status: 'Degraded', message: 'Deployment has failed progressing' } });
  assert.deepEqual([degraded?.reason, degraded?.message], ['ArgoDegraded', 'Argo CD: health Degraded: Deployment has failed progressing']);
  const refused = await snap({ sync: { status: 'OutOfSync', revision: 'c2' }, health: { status: 'Healthy' }, conditions: [{ type: 'SyncError', message: 'namespace x is not permitted in project y' }] });
  assert.match(refused?.message ?? '', /SyncError: namespace x is not permitted/, "Argo CD's own words");
});

test('argoDriftItems: OutOfSync resources, Missing ones as missing', () => {
  const items = argoDriftItems(app({ resources: [
    { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ns', name: 'web', status: 'OutOfSync', health: { status: 'Missing' } },
    { version: 'v1', kind: 'Service', namespace: 'ns', name: 'web', status: 'OutOfSync' },
    { version: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'ok', status: 'Synced' },
  ] }));
  assert.deepEqual(items.map((i) => [i.ref.apiVersion, i.ref.kind, i.kind]), [['apps/v1', 'Deployment', 'missing'], ['v1', 'Service', 'changed']]);
  assert.deepEqual(argoDriftItems(null), []);
});
