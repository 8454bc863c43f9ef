import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentReadiness, objectReadiness, podReadiness, sumCapacity, sumQuotaRequests } from './readiness.ts';
import { mapLimit } from './concurrency.ts';
import type { KubeObject } from '../../domain/types.ts';

const dep = (generation: number, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', generation },
  spec,
  status,
});

test('deploymentReadiness follows kubectl rollout status', () => {
  const cases: Array<[string, KubeObject, string]> = [
    ['unobserved generation', dep(2, { replicas: 2 }, { observedGeneration: 1 }), 'Progressing'],
    ['deadline exceeded', dep(1, { replicas: 2 }, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }), 'Failed'],
    ['too few updated', dep(1, { replicas: 3 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 3, availableReplicas: 2 }), 'Progressing'],
    ['old replicas left', dep(1, { replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 3, availableReplicas: 2 }), 'Progressing'],
    ['not available', dep(1, { replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }), 'Progressing'],
    ['ready', dep(1, { replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), 'Ready'],
    ['default one replica', dep(1, {}, { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 }), 'Ready'],
  ];
  for (const [name, obj, want] of cases) assert.equal(deploymentReadiness(obj as never).state, want, name);
});

test('podReadiness reads the Ready condition and phase', () => {
  const pod = (status: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status });
  assert.equal(podReadiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }) as never).state, 'Ready');
  assert.equal(podReadiness(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] }) as never).state, 'Progressing');
  assert.equal(podReadiness(pod({ phase: 'Failed' }) as never).state, 'Failed');
  assert.equal(objectReadiness(null).state, 'Missing');
  assert.equal(objectReadiness({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).state, 'Ready');
});

test('sumCapacity counts only Ready, schedulable nodes', () => {
  const node = (name: string, ready: boolean, alloc: Record<string, string>, unschedulable = false): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: { unschedulable },
    status: { allocatable: alloc, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const cap = sumCapacity([
    node('a', true, { cpu: '7820m', memory: '31Gi' }),
    node('b', true, { cpu: '47', memory: '190Gi', 'nvidia.com/gpu': '4' }),
    node('c', false, { cpu: '8', memory: '32Gi' }),
    node('d', true, { cpu: '8', memory: '32Gi' }, true),
  ]);
  assert.deepEqual(cap, { cpuMillis: 7820 + 47000, memoryBytes: (31 + 190) * 2 ** 30, gpus: 4, nodes: 2 });
});

test('mapLimit bounds concurrency, keeps order and isolates failures', async () => {
  let inFlight = 0;
  let peak = 0;
  const results = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    if (n === 3) throw new Error('three');
    return n * 10;
  });
  assert.equal(peak, 2);
  assert.deepEqual(results.map((r) => (r.ok ? r.value : r.error.message)), [10, 20, 'three', 40, 50, 60]);
});

test('sumQuotaRequests adds requests.cpu/memory (or bare cpu/memory) across quotas', () => {
  const q = (hard: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard } });
  assert.deepEqual(sumQuotaRequests([q({ 'requests.cpu': '2', 'requests.memory': '4Gi' }), q({ cpu: '500m', memory: '512Mi' }), q({ pods: '10' })]),
    { cpuMillis: 2500, memoryBytes: 4 * 2 ** 30 + 512 * 2 ** 20 });
  assert.deepEqual(sumQuotaRequests([]), { cpuMillis: 0, memoryBytes: 0 });
});

test('a Knative Service is ready by its Ready condition at the observed generation; a KServe InferenceService by Ready (and Stopped while stopped); a core Service just exists', () => {
  const isvc = (generation: number, status: Record<string, unknown>, annotations?: Record<string, string>) => ({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'ranker', generation, ...(annotations ? { annotations } : {}) }, status });
  assert.deepEqual(objectReadiness(isvc(2, { observedGeneration: 2, conditions: [{ type: 'PredictorReady', status: 'True' }, { type: 'Ready', status: 'True' }] })), { state: 'Ready', message: 'Ready' });
  // Regression (seen with KServe v0.17.0 on the testbed): KServe's observedGeneration is its predictor
  // Deployment's; an InferenceService at generation 2, stopped and started again, reports 1 for good.
  assert.equal(objectReadiness(isvc(2, { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }, { type: 'Stopped', status: 'False' }] })).state, 'Ready');
  const loading = objectReadiness(isvc(1, { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'PredictorNotReady', message: 'model loading' }] }));
  assert.deepEqual(loading, { state: 'Progressing', message: 'Ready False (PredictorNotReady: model loading)' }, 'Ready False is not final: a model still loads');
  assert.deepEqual(objectReadiness(isvc(1, {})), { state: 'Progressing', message: 'no Ready condition yet' });
  // serving.kserve.io/stop (hibernation): ready once KServe says Stopped (it clears the rest of the status).
  const stop = { 'serving.kserve.io/stop': 'true' };
  assert.deepEqual(objectReadiness(isvc(1, { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Stopped', status: 'False' }] }, stop)), { state: 'Progressing', message: 'waiting for KServe to stop it' });
  assert.deepEqual(objectReadiness(isvc(1, { conditions: [{ type: 'Ready', status: 'False', reason: 'Stopped' }, { type: 'Stopped', status: 'True' }] }, stop)), { state: 'Ready', message: 'Stopped' });
  assert.deepEqual(objectReadiness(isvc(1, { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Stopped', status: 'True' }] })), { state: 'Progressing', message: 'Stopped; waiting for KServe to start it' }, 'started again: not before KServe drops Stopped');
  const ksvc = (generation: number, observedGeneration: number, status: string) => ({ apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'chat', generation }, status: { observedGeneration, conditions: [{ type: 'Ready', status }] } });
  assert.equal(objectReadiness(ksvc(1, 1, 'Unknown')).state, 'Progressing');
  assert.equal(objectReadiness(ksvc(1, 1, 'True')).state, 'Ready');
  assert.equal(objectReadiness(ksvc(3, 2, 'True')).state, 'Progressing', 'an older generation\'s Ready does not count');
  assert.equal(objectReadiness({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'chat' } }).state, 'Ready', 'a core Service has no Ready condition');
});
