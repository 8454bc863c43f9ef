// Hibernation savings in usage metering (issue #20, docs/ai-workloads.md): while an environment is
// hibernated, each metering tick records the replicas and GPUs its open hibernation period holds
// back, and the hourly records carry them as saved-replica-hours and saved-gpu-hours beside the
// (now zero) usage. Awake hours and other tenants' environments get no savings records. The pods
// come from a pod source that answers "no pods" for the hibernated namespace and one GPU pod for
// the awake one: the sampler's own port, since the cluster side is covered by metering-day.test.ts.
// On the embedded store always, and on PostgreSQL when FLEETPLANE_TEST_DATABASE_URL is set.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleTick } from '../../src/metering/sampler.ts';
import type { PodLike } from '../../src/metering/pods.ts';
import { storeBackends, withTwoTenantStore } from './store.suite.ts';


const T0 = Date.parse('2026-12-01T20:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000);
const INTERVAL = 10 * 60_000;

const gpuPod: PodLike = {
  spec: { nodeName: 'gpu-node-0', containers: [{ resources: { requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '1' } } }] },
  status: { phase: 'Running' },
};

for (const [name, fresh] of storeBackends) {
  describe(`${name}: hibernation savings are metered`, () => {
    test('a hibernated environment records saved replica-hours and GPU-hours per hour; awake ones and other tenants do not', async () => {
      await withTwoTenantStore(fresh, async (store) => {
        // acme/dev hibernates at 20:00 holding back 4 replicas and 3 GPUs, wakes at 21:30.
        await store.ai.hibernate({ tenant: 'acme', environment: 'dev', startedAt: at(0).toISOString(), replicas: 4, gpus: 3, revision: 'r1', reason: 'schedule' });
        let awake = false;
        const pods = async (_cluster: string, namespace: string): Promise<PodLike[]> => (namespace === 'acme-dev' && !awake ? [] : [gpuPod]);
        const s = store;
        const tick = async (min: number) => {
          const r = await sampleTick({ store: s, metering: s.metering, pods, gpuResources: ['nvidia.com/gpu'], sampler: 'w1' }, at(min), INTERVAL, () => at(min + 1));
          assert.deepEqual(r.errors, []);
          assert.equal(r.stored, 2, `both environments sampled at +${min} min`);
        };
        for (let min = 0; min < 90; min += 10) await tick(min); // 20:00 … 21:20, hibernated
        await s.ai.wake('acme', 'dev', at(90).toISOString());
        awake = true;
        for (let min = 90; min < 180; min += 10) await tick(min); // 21:30 … 22:50, awake
        // A second replica of the job at the same ticks stores and adds nothing.
        for (let min = 0; min < 30; min += 10) {
          const again = await sampleTick({ store: s, metering: s.metering, pods, gpuResources: ['nvidia.com/gpu'], sampler: 'w2' }, at(min), INTERVAL, () => at(181));
          assert.equal(again.stored, 0);
        }
        await s.metering.refresh(at(24 * 60), 5 * 60_000);

        const records = async (t: string) => Object.fromEntries((await s.metering.records({ tenant: t, limit: 500 })).items.map((r) => [`${r.dimension}/${r.hour.slice(11, 13)}`, r.quantity]));
        const acme = await records('acme');
        // 20:00-21:00: six 10-minute ticks hibernated = 1 h x 4 replicas, 1 h x 3 GPUs, no GPU used.
        assert.equal(acme['saved-replica-hours/20'], 4);
        assert.equal(acme['saved-gpu-hours/20'], 3);
        assert.equal(acme['gpu-hours/20'], 0);
        // 21:00-22:00: three ticks hibernated (21:00-21:30), three awake with one GPU pod.
        assert.equal(acme['saved-replica-hours/21'], 2);
        assert.equal(acme['saved-gpu-hours/21'], 1.5);
        assert.equal(acme['gpu-hours/21'], 0.5);
        // 22:00-23:00: awake the whole hour: usage, and no savings records at all.
        assert.equal(acme['gpu-hours/22'], 1);
        assert.equal(acme['saved-replica-hours/22'], undefined);
        assert.equal(acme['saved-gpu-hours/22'], undefined);
        const units = (await s.metering.records({ tenant: 'acme', dimension: 'saved-gpu-hours', limit: 10 })).items.map((r) => r.unit);
        assert.deepEqual(units, ['GPU-hour', 'GPU-hour']);

        // The other tenant's environment ran all along: usage, never a saving.
        const other = await records('other');
        assert.equal(other['gpu-hours/20'], 1);
        assert.ok(!Object.keys(other).some((k) => k.startsWith('saved-')), JSON.stringify(other));
      });
    });
  });
}
