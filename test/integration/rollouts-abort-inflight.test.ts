// Aborting a rollout cancels the upgrades no worker has started, but not one that is pending again
// after it started (its verify parked while pods come up): that one has already changed the cluster
// and must finish, verified or rolled back. Real store (PGlite and PostgreSQL), real queue.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { RolloutController, RolloutService } from '../../src/engine/rollouts/index.ts';
import { BACKENDS, type TestDatabase } from '../helpers/db.ts';

const spec = (version: string) => ({ metadata: { name: 'app', version } });
const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

for (const [backend, fresh] of Object.entries(BACKENDS)) {
  describe(`rollout abort with an upgrade in flight on ${backend}`, () => {
    let db: TestDatabase;
    let store: SqlStore;
    const now = () => new Date('2026-11-22T10:00:00Z');

    before(async () => {
      db = await fresh();
      store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'b'.repeat(64), maxConnections: 4 });
      await store.migrate();
      for (const v of ['1.0.0', '1.1.0']) await store.blueprints.publish({ name: 'app', version: v, spec: spec(v), digest: digest(spec(v)) });
      for (const slug of ['x', 'y']) {
        await store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels: {} });
        await store.environments.create({
          tenant: slug, name: 'prod', type: 'prod', blueprint: 'app', version: '1.0.0', values: {}, placement: { cluster: 'c1', namespace: `${slug}-prod` },
          delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
        });
      }
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    test('the parked upgrade keeps running; the untouched one is cancelled', async () => {
      const service = new RolloutService({ store, now });
      const { rollout } = await service.create({ blueprint: 'app', version: '1.1.0', strategy: { canary: { count: 0 }, waves: [100], maxParallel: 2, gates: { health: true } } }, { actor: 'admin' });
      await new RolloutController({ store, workerId: 'rc', now, logger: pino({ level: 'error' }) }).tick();
      const queued = (await service.get(rollout.id)).waves.flatMap((w) => w.targets).filter((t) => t.state === 'running');
      assert.equal(queued.length, 2, 'both upgrades queued');

      // A worker runs one upgrade up to verify and parks it, as the engine does while pods start.
      const claimed = await store.queue.claim('w1', 30_000, ['upgrade']);
      assert.ok(claimed);
      const op = claimed.operation;
      const at = now().toISOString();
      for (const name of ['render', 'deliver']) assert.ok(await claimed.recordStep({ name, state: 'succeeded', attempts: 1, startedAt: at, finishedAt: at }));
      assert.ok(await claimed.recordStep({ name: 'verify', state: 'waiting', attempts: 1, startedAt: at, waitingSince: at, waits: 1 }));
      assert.ok(await claimed.release(60_000));

      const aborted = await service.abort(rollout.id, 'admin');
      assert.equal(aborted.state, 'aborted');
      const byTenant = new Map(aborted.waves.flatMap((w) => w.targets).map((t) => [t.tenant, t.state]));
      const other = op.tenant === 'x' ? 'y' : 'x';
      assert.equal(byTenant.get(op.tenant), 'running', 'the started upgrade is still in flight');
      assert.equal(byTenant.get(other), 'cancelled');
      assert.equal((await store.operations.get(op.id))?.state, 'pending', 'parked, not cancelled');
      const untouched = queued.find((t) => t.tenant === other)!.operationId!;
      assert.equal((await store.operations.get(untouched))?.state, 'cancelled');
    });
  });
}
