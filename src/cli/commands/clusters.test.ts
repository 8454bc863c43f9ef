import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityList, cpu, memory } from './clusters.ts';

test('the CPU column shows allocatable cores and the share Fleetplane quotas reserve', () => {
  assert.equal(cpu(undefined), undefined);
  assert.equal(cpu({ nodes: 8, cpuMillis: 205_120 }), '205');
  assert.equal(cpu({ nodes: 8, cpuMillis: 200_000, reservedCpuMillis: 50_000 }), '200 (25% reserved)');
});

test('the MEMORY column shows allocatable GiB and the reserved share', () => {
  assert.equal(memory(undefined), undefined);
  assert.equal(memory({ nodes: 1, cpuMillis: 1000 }), undefined, 'no memory observed');
  assert.equal(memory({ nodes: 8, cpuMillis: 1000, memoryBytes: 320 * 2 ** 30 }), '320');
  assert.equal(memory({ nodes: 8, cpuMillis: 1000, memoryBytes: 320 * 2 ** 30, reservedMemoryBytes: 80 * 2 ** 30 }), '320 (25% reserved)');
});

test('--capabilities takes known names (deduplicated) or none, and refuses unknown or empty lists', () => {
  assert.deepEqual(capabilityList('kserve,keda,kserve'), ['kserve', 'keda']);
  assert.deepEqual(capabilityList(' kubeflow-trainer '), ['kubeflow-trainer']);
  assert.deepEqual(capabilityList('none'), []);
  assert.throws(() => capabilityList('kserve,istio'), /--capabilities: unknown istio/);
  assert.throws(() => capabilityList(','), /--capabilities: empty/);
});
