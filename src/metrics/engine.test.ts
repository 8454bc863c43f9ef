import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bindEnvironmentHealth, bindOldestLeaseAge, bindQueueDepth, bindRolloutProgress, recordReconcile, recordStepFailure,
  setClusterUp, startOperation, timeClusterCall,
} from './engine.ts';
import { registry } from './registry.ts';

type Sample = { labels: Record<string, unknown>; value: number; metricName?: string };

/** Value of one sample (histogram parts by their full name, e.g. x_count), read in one scrape. */
async function one(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name || x.name === base);
  const values = (m?.values ?? []) as Sample[];
  return values.find((v) => (v.metricName ?? m!.name) === name && Object.entries(labels).every(([k, w]) => String(v.labels[k]) === w))?.value;
}

test('operation helpers count by kind and result, time by kind, and clamp unknown labels', async () => {
  const end = startOperation('upgrade');
  end('succeeded');
  end('failed'); // a second call is ignored
  startOperation('made-up-kind')('failed');
  recordStepFailure('upgrade', 'apply');
  recordStepFailure('upgrade', 'apply deployment/web with a long message');
  assert.equal(await one('fleetplane_operations_total', { kind: 'upgrade', result: 'succeeded' }), 1);
  assert.equal(await one('fleetplane_operations_total', { kind: 'upgrade', result: 'failed' }), undefined);
  assert.equal(await one('fleetplane_operations_total', { kind: 'other', result: 'failed' }), 1);
  assert.equal(await one('fleetplane_operation_duration_seconds_count', { kind: 'upgrade' }), 1);
  assert.equal(await one('fleetplane_operation_step_failures_total', { kind: 'upgrade', step: 'apply' }), 1);
  assert.equal(await one('fleetplane_operation_step_failures_total', { kind: 'upgrade', step: 'other' }), 1);
});

test('cluster calls are timed by cluster and verb; failures counted by code class and rethrown', async () => {
  assert.equal(await timeClusterCall('east-1', 'PATCH', async () => 7), 7);
  await assert.rejects(timeClusterCall('east-1', 'get', async () => {
    throw Object.assign(new Error('nope'), { code: 503 });
  }), /nope/);
  await assert.rejects(timeClusterCall('east-1', 'get', async () => {
    throw new Error('ECONNREFUSED');
  }));
  setClusterUp('east-1', false);
  recordReconcile('east-1', { result: 'ok', drifted: 3, healed: 2 });
  assert.equal(await one('fleetplane_cluster_api_request_duration_seconds_count', { cluster: 'east-1', verb: 'patch' }), 1);
  assert.equal(await one('fleetplane_cluster_api_errors_total', { cluster: 'east-1', verb: 'get', code_class: '5xx' }), 1);
  assert.equal(await one('fleetplane_cluster_api_errors_total', { cluster: 'east-1', verb: 'get', code_class: 'network' }), 1);
  assert.equal(await one('fleetplane_cluster_up', { cluster: 'east-1' }), 0);
  assert.equal(await one('fleetplane_drift_detected_total', { cluster: 'east-1' }), 3);
  assert.equal(await one('fleetplane_drift_healed_total', { cluster: 'east-1' }), 2);
  assert.equal(await one('fleetplane_reconcile_runs_total', { cluster: 'east-1', result: 'ok' }), 1);
});

test('scrape-time gauges read their sources on collect and survive a failing source', async () => {
  let depth: Record<string, number> = { pending: 4, running: 1 };
  bindQueueDepth(async () => depth);
  bindOldestLeaseAge(async () => 42);
  bindEnvironmentHealth(async () => [{ cluster: 'east-1', health: 'Ready', count: 10 }, { cluster: 'east-1', health: 'Degraded', count: 2 }]);
  bindRolloutProgress(async () => [{ state: 'running', done: 3, failed: 1, total: 10 }, { state: 'running', done: 1, failed: 0, total: 5 }]);
  assert.equal(await one('fleetplane_queue_depth', { state: 'pending' }), 4);
  assert.equal(await one('fleetplane_queue_oldest_lease_age_seconds', {}), 42);
  assert.equal(await one('fleetplane_environments', { cluster: 'east-1', health: 'Degraded' }), 2);
  assert.equal(await one('fleetplane_rollout_environments', { rollout_state: 'running', progress: 'total' }), 15);
  assert.equal(await one('fleetplane_rollouts', { state: 'running' }), 2);
  depth = { pending: 0 };
  assert.equal(await one('fleetplane_queue_depth', { state: 'running' }), undefined, 'states that vanished are dropped');
  bindQueueDepth(async () => {
    throw new Error('db down');
  });
  assert.equal(await one('fleetplane_queue_depth', { state: 'pending' }), 0, 'keeps the last value');
  // Every scrape runs every collector: the failing source has been read twice by now.
  assert.equal(await one('fleetplane_metrics_collect_errors_total', { collector: 'queue_depth' }), 2);
});
