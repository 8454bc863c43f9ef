// Scrape-time gauges over the real store, on both backends: queue depth, environments by health,
// the oldest held lease (after a real claim) and rollout progress (from rollout targets).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/adapters/store/index.ts';
import { registry } from '../../src/metrics/registry.ts';
import { bindStoreMetrics } from '../../src/metrics/store-gauges.ts';
import { BACKENDS } from '../helpers/db.ts';

for (const [backend, fresh] of Object.entries(BACKENDS)) {
  describe(`store-bound gauges (${backend})`, () => {
    test('queue depth, environments, oldest lease and rollout progress come from the store', async () => {
      const target = await fresh();
      const store = await openStore({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
      try {
        await store.migrate();
        await store.tenants.create({ slug: 'acme', name: 'Acme', tier: 'shared', channel: 'saas', labels: {} });
        await store.environments.create({
          tenant: 'acme', name: 'prod', type: 'prod', blueprint: 'default', version: '1.5.0', values: {},
          placement: { cluster: 'east-1', namespace: 'acme-prod' }, delivery: 'direct', selfHeal: true, health: 'Degraded', conditions: [],
        });
        await store.operations.create({ kind: 'scale', tenant: 'acme', environment: 'prod', params: {}, steps: ['scale'] });
        assert.equal(await store.stats.oldestLeaseAge(), null, 'no lease held yet');
        const claimed = await store.queue.claim('worker-1', 60_000);
        assert.ok(claimed, 'the operation is claimed');
        const age = await store.stats.oldestLeaseAge();
        assert.ok(age !== null && age >= 0 && age < 3600, `lease age ${age}`);

        const targets = (['prod', 'staging', 'dev'] as const).map((environment, position) => ({ tenant: 'acme', environment, wave: 0, position, fromVersion: null }));
        await store.rollouts.create({
          id: 'ro-1', blueprint: 'default', version: '1.5.0', targets, idempotencyKey: null, requestHash: null, createdBy: 'test',
          spec: { selector: {}, waveNames: ['wave-1'], skipped: [], strategy: { canary: {}, waves: [100], maxParallel: 3, gates: { health: true, bakeSeconds: 0 }, respectMaintenanceWindows: false } },
          status: { waves: [{ gate: 'pending' }] },
        });
        await store.rollouts.transition('ro-1', 'running', null);
        for (const [environment, state] of [['prod', 'succeeded'], ['staging', 'failed']] as const) {
          await store.rollouts.updateTarget({ id: 'ro-1', tenant: 'acme', environment }, { state });
        }
        assert.deepEqual(await store.stats.rolloutProgress(), [{ state: 'running', done: 1, failed: 1, total: 3 }]);

        bindStoreMetrics(store, { ttlMs: 0 });
        const text = await registry.metrics();
        assert.match(text, /^fleetplane_queue_depth\{state="running"\} 1$/m);
        assert.match(text, /^fleetplane_environments\{cluster="east-1",health="Degraded"\} 1$/m);
        assert.match(text, /^fleetplane_queue_oldest_lease_age_seconds \d+(\.\d+)?$/m);
        assert.match(text, /^fleetplane_rollout_environments\{rollout_state="running",progress="total"\} 3$/m);
        assert.match(text, /^fleetplane_rollouts\{state="running"\} 1$/m);
      } finally {
        await store.close();
        await target.cleanup();
      }
    });
  });
}
