// The change feed's tail (src/api/services/change-hub.ts) on both real backends, driven by a
// ManualClock: with no NOTIFY reaching it, the fallback poll (a Ticker) alone delivers a committed
// change at the poll interval and not before; a gap in the ids (a transaction that never commits)
// holds later events back until GAP_WAIT_MS has passed on the clock, then is passed over; the last
// subscriber leaving stops the tail, so nothing is left scheduled.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GAP_WAIT_MS, ChangeHub } from '../../src/api/services/change-hub.ts';
import type { ChangeEvent } from '../../src/domain/change-feed.ts';
import type { Store } from '../../src/domain/ports/store.ts';
import type { SqlStore } from '../../src/adapters/store/index.ts';
import { BACKENDS, storeHandle, type StoreHandle } from '../helpers/api-harness.ts';
import { ManualClock, settle } from '../helpers/manual-clock.ts';

const POLL_MS = 5_000;

async function settled(): Promise<void> {
  // Real database round trips: let them finish (no time passes on the manual clock meanwhile).
  for (let i = 0; i < 20; i++) {
    await settle();
    await new Promise((r) => setImmediate(r));
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !ok(); i++) await settled();
  assert.ok(ok(), what);
}

for (const backend of BACKENDS) {
  describe(`change hub on ${backend}`, () => {
    let handle: StoreHandle;
    let store: Store;

    before(async () => {
      handle = await storeHandle(backend);
      store = await handle.open();
      await store.tenants.create({ slug: 'acme', name: 'Acme', tier: 'shared', channel: 'saas', labels: {} });
    });

    after(async () => {
      await store.close();
      await handle.destroy();
    });

    test('the fallback poll alone delivers a change, at the poll interval', async () => {
      const clock = new ManualClock();
      // No notifications: only the Ticker can wake the tail.
      const hub = new ChangeHub({ store: { changes: store.changes, listen: async () => async () => undefined }, pollMs: POLL_MS, clock });
      const got: ChangeEvent[] = [];
      const sub = await hub.subscribe((es) => got.push(...es));
      await store.environments.create({
        tenant: 'acme', name: 'prod', type: 'prod', blueprint: 'app', version: '1.0.0', values: {}, placement: { cluster: '', namespace: 'acme-prod' },
        delivery: 'direct', selfHeal: false, health: 'Progressing', conditions: [],
      });
      await settled();
      assert.equal(got.length, 0, 'delivered before the poll interval passed');
      await clock.advance(POLL_MS - 1);
      await settled();
      assert.equal(got.length, 0, 'delivered before the poll interval passed');
      await clock.advance(1);
      await until('the poll delivered the environment event', () => got.some((e) => e.topic === 'environment' && e.data.environment === 'prod'));
      assert.ok(got.every((e, i) => i === 0 || e.seq > got[i - 1]!.seq), 'in id order');
      await sub.unsubscribe();
      assert.equal(hub.subscribers, 0);
      assert.equal(clock.pending, 0, 'the last subscriber leaving stops the poll and the pruner');
    });

    test('a gap in the ids holds later events until GAP_WAIT_MS passes, then is passed over', async () => {
      const clock = new ManualClock();
      const hub = new ChangeHub({ store: { changes: store.changes, listen: async () => async () => undefined }, pollMs: POLL_MS, clock });
      const got: ChangeEvent[] = [];
      const sub = await hub.subscribe((es) => got.push(...es));
      const db = (store as SqlStore).db;
      // An id taken and never committed: the identity advances inside a rolled-back transaction.
      await db.transaction(async (q) => {
        await q.query(`INSERT INTO change_events (topic, tenant, subject, data) VALUES ('environment', 'acme', 'acme/ghost', '{}')`);
        throw new Error('roll back');
      }).catch(() => undefined);
      await store.environments.update('acme', 'prod', { health: 'Ready' });
      await hub.wake();
      assert.equal(got.length, 0, 'an event after an open gap was delivered before the gap wait');
      await clock.advance(GAP_WAIT_MS - 1);
      await hub.wake();
      assert.equal(got.length, 0, 'delivered before GAP_WAIT_MS');
      await clock.advance(1);
      await hub.wake();
      assert.equal(got.length, 1, JSON.stringify(got));
      assert.equal(got[0]!.data.health, 'Ready');
      await sub.unsubscribe();
    });
  });
}
