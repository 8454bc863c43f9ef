import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpu } from './clusters.ts';

test('the CPU column shows allocatable cores and the share Fleetplane quotas reserve', () => {
  assert.equal(cpu(undefined), undefined);
  assert.equal(cpu({ nodes: 8, cpuMillis: 205_120 }), '205');
  assert.equal(cpu({ nodes: 8, cpuMillis: 200_000, reservedCpuMillis: 50_000 }), '200 (25% reserved)');
});
