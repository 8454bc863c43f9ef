// The rollout controller against the real store on both backends (embedded PGlite and PostgreSQL):
// planning frozen into target rows, one wave at a time within maxParallel, maintenance windows,
// holds, the health gate, resume, bake time, abort, and a restart (a second controller instance
// takes over from the rows alone). Operations are settled here through the real queue API (claim,
// complete, fail) so each step is observable; rollouts.test.ts runs the same against the real engine.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import type { EnvironmentType, MaintenanceWindow } from '../../src/domain/types.ts';
import { RolloutController, RolloutService } from '../../src/engine/rollouts/index.ts';
import { BACKENDS, type TestDatabase } from '../helpers/db.ts';

const spec = (version: string) => ({ metadata: { name: 'app', version } });
const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

async function seed(store: SqlStore, clock: { now: Date }) {
  for (const v of ['1.0.0', '1.1.0']) await store.blueprints.publish({ name: 'app', version: v, spec: spec(v), digest: digest(spec(v)) });
  const hour = clock.now.getUTCHours();
  // A window that opens in two hours: tenant "late" must wait for it.
  const later: MaintenanceWindow = { days: [], start: `${String((hour + 2) % 24).padStart(2, '0')}:00`, durationMinutes: 60 };
  const fleet: Array<[string, EnvironmentType, Record<string, string>, MaintenanceWindow?]> = [
    ['int', 'staging', { internal: 'true' }], ['a', 'prod', {}], ['b', 'prod', {}], ['c', 'prod', {}], ['late', 'prod', { risk: 'high' }, later],
  ];
  for (const [slug, type, labels, window] of fleet) {
    await store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels, ...(window ? { maintenanceWindow: window } : {}) });
    await store.environments.create({
      tenant: slug, name: type, type, blueprint: 'app', version: '1.0.0', values: {}, placement: { cluster: 'c1', namespace: `${slug}-${type}` },
      delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
    });
  }
}

for (const [backend, fresh] of Object.entries(BACKENDS)) {
  describe(`rollout controller on ${backend}`, () => {
    let db: TestDatabase;
    let store: SqlStore;
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const now = () => clock.now;
    let service: RolloutService;
    const controller = (id: string) => new RolloutController({ store, workerId: id, now, logger: pino({ level: 'error' }) });

    /** Plays the worker: settles every queued upgrade (fail for tenants in `failing`). */
    async function settle(failing: string[] = []): Promise<string[]> {
      const done: string[] = [];
      for (let c = await store.queue.claim('test-worker', 30_000, ['upgrade']); c; c = await store.queue.claim('test-worker', 30_000, ['upgrade'])) {
        const op = c.operation;
        if (failing.includes(op.tenant)) await c.fail('pod web-1: ContainersNotReady', { retry: false });
        else {
          await c.complete({});
          await store.environments.update(op.tenant, op.environment!, { version: String(op.params.version) });
        }
        done.push(op.tenant);
      }
      return done.sort();
    }

    before(async () => {
      db = await fresh();
      store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'a'.repeat(64), maxConnections: 4 });
      await store.migrate();
      await seed(store, clock);
      service = new RolloutService({ store, now });
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    let id = '';

    test('create plans canary -> waves, holds nothing until started, is idempotent per key', async () => {
      const input = { blueprint: 'app', version: '1.1.0', strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 1, gates: { health: true, bakeSeconds: 60 } } };
      const { rollout, created } = await service.create(input, { actor: 'admin', idempotencyKey: 'k1', requestHash: 'h1' });
      assert.ok(created);
      id = rollout.id;
      assert.deepEqual(rollout.waves.map((w) => w.targets.map((t) => t.tenant)), [['int'], ['a', 'b'], ['c', 'late']]);
      const again = await service.create(input, { actor: 'admin', idempotencyKey: 'k1', requestHash: 'h1' });
      assert.deepEqual([again.created, again.rollout.id], [false, id]);
      await assert.rejects(service.create(input, { actor: 'admin', idempotencyKey: 'k1', requestHash: 'other' }), /Idempotency-Key/);
      await assert.rejects(service.create({ ...input, version: '9.9.9' }, { actor: 'admin' }), /not published/);
    });

    test('canary first; the wave bakes before the next starts; maxParallel bounds the wave', async () => {
      const c1 = controller('c1');
      await c1.tick();
      const held = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM environments WHERE held_by = $1', [id]);
      assert.equal(held.rows[0]!.n, 5);
      assert.deepEqual(await settle(), ['int']);
      const [baking] = await c1.tick();
      assert.equal(baking?.kind, 'baking');
      assert.equal(await store.queue.claim('test-worker', 30_000, ['upgrade']), null, 'nothing starts while baking');
      clock.now = new Date(clock.now.getTime() + 61_000);
      assert.deepEqual((await c1.tick()).map((d) => d.kind), ['advanced']);
      await c1.tick();
      assert.deepEqual(await settle(), ['a'], 'maxParallel 1: one upgrade at a time');
      await c1.tick();
      assert.deepEqual(await settle(), ['b']);
      await c1.tick(); // b's outcome is read back from its Operation
      const v = await service.get(id);
      assert.deepEqual(v.waves.map((w) => w.counts.succeeded), [1, 2, 0]);
      const released = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM environments WHERE held_by = $1', [id]);
      assert.equal(released.rows[0]!.n, 2, 'finished targets release their hold');
    });

    test('a restarted controller continues from the store; a failed upgrade pauses the rollout', async () => {
      const c2 = controller('c2'); // c1 "crashed": its lease must expire first
      assert.deepEqual(await c2.tick(), [], 'c1 still holds the lease');
      await store.db.query('UPDATE rollouts SET lease_expires_at = now() - interval \'1 second\' WHERE id = $1', [id]);
      clock.now = new Date(clock.now.getTime() + 61_000);
      assert.deepEqual((await c2.tick()).map((d) => d.kind), ['advanced'], 'wave-1 baked: on to wave-2');
      await c2.tick();
      assert.deepEqual(await settle(['c']), ['c']);
      const [d] = await c2.tick();
      assert.equal(d?.kind, 'paused');
      const paused = await service.get(id);
      assert.equal(paused.state, 'paused');
      assert.match(paused.reason ?? '', /health gate failed in wave-2: c\/prod: pod web-1: ContainersNotReady/);
      assert.deepEqual([paused.waves[2]!.gate, paused.waves[2]!.state], ['failed', 'gated']);
      assert.deepEqual(paused.waves[2]!.targets.map((t) => `${t.tenant}:${t.state}`), ['c:failed', 'late:pending'], 'the rest of the wave is untouched');
      assert.deepEqual(await c2.tick(), [], 'a paused rollout with nothing running is not even claimed');
    });

    test('resume acknowledges the failure; a closed maintenance window holds the next target; abort cancels it', async () => {
      const c2 = controller('c2');
      await service.resume(id, 'admin');
      assert.equal((await service.resume(id, 'admin')).state, 'running', 'resume is idempotent');
      await c2.tick();
      const late = (await service.get(id)).waves[2]!.targets.find((t) => t.tenant === 'late')!;
      assert.deepEqual([late.state, late.reason, late.operationId], ['pending', 'OutsideMaintenanceWindow', null]);
      assert.equal(await store.queue.claim('test-worker', 30_000, ['upgrade']), null, 'nothing queued outside the window');
      assert.equal((await service.pause(id, 'admin')).state, 'paused');
      assert.equal((await service.pause(id, 'admin')).state, 'paused', 'pause is idempotent');
      const aborted = await service.abort(id, 'admin');
      assert.equal(aborted.state, 'aborted');
      assert.deepEqual(aborted.waves[2]!.targets.map((t) => `${t.tenant}:${t.state}`), ['c:failed', 'late:cancelled']);
      const held = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM environments WHERE held_by = $1', [id]);
      assert.equal(held.rows[0]!.n, 0);
      assert.equal((await service.abort(id, 'admin')).state, 'aborted', 'abort is idempotent');
      await assert.rejects(service.resume(id, 'admin'), /only a paused rollout can resume/);
      assert.deepEqual(await c2.tick(), []);
    });

    test('an environment held by another rollout is skipped, and a finished rollout is succeeded', async () => {
      await store.db.query("UPDATE environments SET held_by = 'ro-other' WHERE tenant = 'late'");
      const { rollout } = await service.create({ blueprint: 'app', version: '1.1.0', selector: { tenants: ['late', 'c'] }, strategy: { canary: {}, waves: [100], respectMaintenanceWindows: false } }, { actor: 'admin' });
      const c3 = controller('c3');
      await c3.tick();
      assert.deepEqual(await settle(), ['c']);
      await c3.tick();
      const done = await service.get(rollout.id);
      assert.equal(done.state, 'succeeded');
      assert.deepEqual(done.waves[0]!.targets.map((t) => `${t.tenant}:${t.state}:${t.reason ?? ''}`), ['c:succeeded:', 'late:skipped:HeldByAnotherRollout']);
      const list = await service.list({ limit: 1 });
      assert.equal(list.items[0]!.id, rollout.id);
      assert.ok(list.next);
      assert.equal((await service.list({ limit: 5, cursor: list.next })).items[0]!.id, id);
    });
  });
}
