// Maintenance windows of a cluster upgrade plan, on the real API, store and controller (both
// backends), with the controller's clock injected: a pending cluster waits for its window (the
// plan's, or its own from `clusterWindows`) and says so once, starts inside it, and the next wave's
// cluster waits for its own window. The provider here records the calls it gets instead of
// restarting control planes: the testbed provider's real upgrade is cluster-upgrade-testbed.test.ts;
// this file checks when the controller calls it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ClusterUpgradeController } from '../../src/engine/cluster-upgrades.ts';
import type { ClusterUpgrade } from '../../src/domain/cluster-upgrade.ts';
import type { Cluster } from '../../src/domain/types.ts';
import { BACKENDS, counts, harness, type Harness } from '../helpers/api-harness.ts';

const cluster = (name: string) => ({ name, provider: name === 'a' ? 'aws' : 'gcp', region: 'eu-west-1', apiServer: 'https://127.0.0.1:1', kubernetesVersion: 'v1.36.3' });
// Thursday 2026-12-03; the plan's window is Saturdays 02:00-03:00 UTC, b's own is daily 22:00-24:00.
const at = (iso: string) => new Date(iso);

for (const backend of BACKENDS) {
  describe(`cluster upgrade maintenance windows (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend);
      for (const c of ['a', 'b']) assert.equal((await h.req('POST', '/v1/clusters', { body: cluster(c) })).status, 201);
    });
    after(async () => h?.close());

    test('bad windows are refused naming the field, nothing written', async () => {
      const before = await counts(h.store);
      const bad = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', maintenanceWindow: { days: ['sat'], start: '25:00', durationMinutes: 60 } } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors?.[0]?.field, '/maintenanceWindow/start');
      const stranger = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', clusters: ['a'], clusterWindows: { b: { days: [], start: '22:00', durationMinutes: 60 } } } });
      assert.equal(stranger.status, 400);
      assert.match(stranger.body.detail, /maintenance windows name clusters outside the plan: b/);
      assert.deepEqual(await counts(h.store), before);
      assert.equal((await h.req('GET', '/v1/cluster-upgrades')).body.items.length, 0);
    });

    test('each cluster starts only inside its window, says it is waiting once, and finishes', async () => {
      const created = await h.req('POST', '/v1/cluster-upgrades', { body: {
        target: 'v1.37.2', canary: 'a', waveSize: 1,
        maintenanceWindow: { days: ['sat'], start: '02:00', durationMinutes: 60 },
        clusterWindows: { b: { days: [], start: '22:00', durationMinutes: 120 } },
      } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.plan.windows, { b: { days: [], start: '22:00', durationMinutes: 120 } });
      let now = at('2026-12-03T12:00:00Z');
      const calls: string[] = [];
      const versions = new Map<string, string>([['a', 'v1.36.3'], ['b', 'v1.36.3']]);
      const controller = new ClusterUpgradeController({
        store: h.store,
        provider: { name: 'recording', upgrade: async (c: Cluster, to: string) => { calls.push(`${c.name}->${to}@${now.toISOString()}`); versions.set(c.name, to); } },
        heartbeat: async (c) => h.store.clusters.setHealth(c.name, {
          state: 'Available', reason: 'ProbeSucceeded', message: 'ok', since: now.toISOString(), failingSince: null, consecutiveFailures: 0,
          lastProbeAt: now.toISOString(), version: versions.get(c.name)!,
        }),
        logger: pino({ level: 'silent' }), now: () => now,
      }, 0);
      const pass = async (): Promise<ClusterUpgrade> => controller.advance((await h.store.clusterUpgrades.get(created.body.id))!);

      let u = await pass();
      assert.equal(u.progress.a?.state, 'pending');
      assert.equal(u.progress.a?.message, 'waiting for its maintenance window (sat 02:00 UTC for 60 min)');
      const version = u.version;
      u = await pass();
      assert.equal(u.version, version, 'waiting is recorded once, not on every pass');
      assert.deepEqual(calls, []);

      now = at('2026-12-05T02:10:00Z'); // Saturday, inside the plan's window
      for (let i = 0; i < 3; i++) u = await pass();
      assert.equal(u.progress.a?.state, 'done', JSON.stringify(u.progress));
      assert.deepEqual(calls, ['a->v1.37.2@2026-12-05T02:10:00.000Z']);
      u = await pass();
      assert.equal(u.progress.b?.message, 'waiting for its maintenance window (daily 22:00 UTC for 120 min)', 'b has its own window');

      now = at('2026-12-05T23:30:00Z');
      for (let i = 0; i < 4 && u.state === 'running'; i++) u = await pass();
      assert.equal(u.state, 'succeeded', JSON.stringify(u));
      assert.deepEqual(calls, ['a->v1.37.2@2026-12-05T02:10:00.000Z', 'b->v1.37.2@2026-12-05T23:30:00.000Z']);
    });
  });
}
