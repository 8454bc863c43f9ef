import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleRequirements, pinnedImages } from './bundle-requirements.ts';
import type { KubeObject } from '../domain/types.ts';

const obj = (apiVersion: string, kind: string, name: string, spec: unknown = {}, namespace = 'ns'): KubeObject => ({ apiVersion, kind, metadata: { name, namespace }, spec } as KubeObject);

test('requirements come from the objects: custom kinds, storage classes, the largest GPU pod, the quota, every kind written', () => {
  const gpuPod = { template: { spec: { containers: [{ resources: { limits: { 'nvidia.com/gpu': '2' } } }, { resources: { requests: { 'nvidia.com/gpu': 1 } } }] } } };
  const r = bundleRequirements([
    obj('v1', 'Namespace', 'ns', {}, ''),
    obj('apps/v1', 'Deployment', 'model', gpuPod),
    obj('apps/v1', 'StatefulSet', 'db', { volumeClaimTemplates: [{ spec: {} }, { spec: { storageClassName: 'fast' } }] }),
    obj('v1', 'ResourceQuota', 'q', { hard: { 'requests.cpu': '4', 'requests.memory': '8Gi', 'requests.nvidia.com/gpu': '2' } }),
    obj('external-secrets.io/v1', 'ExternalSecret', 'smtp'),
    obj('monitoring.coreos.com/v1', 'ServiceMonitor', 'web'),
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets', { group: 'monitoring.coreos.com', names: { kind: 'ServiceMonitor' } }, ''),
  ], { product: { registry: 'r', tag: '1', kubernetes: { min: '1.36' } } });
  assert.deepEqual(r.kubernetes, { min: '1.36' });
  assert.deepEqual(r.customKinds, [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret' }], 'a CRD the bundle brings itself is not required');
  assert.deepEqual(r.storageClasses, ['default', 'fast']);
  assert.deepEqual(r.gpu, { resource: 'nvidia.com/gpu', perPod: 3 });
  assert.deepEqual(r.quota, { cpu: '4', memory: '8Gi', gpus: '2' });
  assert.equal(r.writes.length, 7);
  assert.equal(bundleRequirements([obj('v1', 'ConfigMap', 'c')], null).gpu, null);
  assert.deepEqual(bundleRequirements([], null).kubernetes, { min: '1.36', max: '1.37' });
});

test('images are pinned by the digests the release gives, and left unpinned otherwise', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(pinnedImages(['r/web:1', 'r/worker:1'], { product: { registry: 'r', tag: '1', imageDigests: { 'r/web:1': d } } }), [
    { image: 'r/web:1', digest: d, pinned: `r/web:1@${d}` },
    { image: 'r/worker:1', digest: null, pinned: null },
  ]);
});
