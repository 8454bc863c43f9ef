// The self-managed channel in the engine (issue #17): onboarding, a rollout and an offboard of a
// self-managed environment publish its bundle revision and never touch a cluster. The fleet here has
// NO cluster registered, so any place/deliver/verify/remove would fail the operation (the SaaS tenant
// onboarded beside it shows that); the real engine runs in-process on the embedded store, the rollout
// controller is ticked by the test, and the API is the real one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { RolloutController } from '../../src/engine/rollouts/index.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import { BLUEPRINT, harness, type Harness } from '../helpers/api-harness.ts';

const release = (version: string) => ({ ...BLUEPRINT, metadata: { ...BLUEPRINT.metadata, version } });

describe('self-managed channel in the engine: published, never delivered', () => {
  let h: Harness;
  let engine: Engine;
  const sm = `sm-${randomBytes(3).toString('hex')}`;
  const saas = `ss-${randomBytes(3).toString('hex')}`;
  const other = `so-${randomBytes(3).toString('hex')}`;
  const otherToken = `fpt_so_${randomBytes(10).toString('hex')}`;
  const logger = pino({ level: 'silent' });

  /** Polls the store (not the wall clock: no timing is asserted) until the operation has finished. */
  async function settled(id: string): Promise<Operation> {
    for (;;) {
      const op = await h.store.operations.get(id);
      if (op && (op.state === 'succeeded' || op.state === 'failed' || op.state === 'cancelled')) return op;
      engine.nudge();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const env = async (tenant: string, name: string): Promise<Environment> => (await h.store.environments.get(tenant, name))!;
  const onboard = async (slug: string, channel: 'saas' | 'self-managed') => {
    const r = await h.req('POST', '/v1/tenants', { body: { slug, name: slug, tier: 'shared', channel, environments: [{ name: 'dev', type: 'dev', blueprint: 'demo-app', version: '1.0.0' }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return (r.body as { operations: Array<{ id: string }> }).operations.map((o) => o.id);
  };

  before(async () => {
    h = await harness('embedded');
    for (const v of ['1.0.0', '1.1.0']) {
      const r = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: v, spec: release(v) } });
      assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
    }
    assert.equal((await h.store.clusters.list({ limit: 10 })).items.length, 0, 'no cluster registered: nothing could be delivered');
    engine = await startEngine({ store: h.store, logger, concurrency: 2, pollMs: 50, reconcileIntervalMs: 3_600_000, clusterRefreshIntervalMs: 3_600_000 });
    await h.store.tokens.create({ name: 'other', tenant: other, role: 'tenant-admin' }, otherToken);
  });
  after(async () => {
    await engine?.stop();
    await h?.close();
  });

  test('onboarding publishes the revision: place, deliver and verify skipped with the reason; Published, not Ready', async () => {
    const [smOp] = await onboard(sm, 'self-managed');
    const [saasOp] = await onboard(saas, 'saas');
    await onboard(other, 'self-managed');
    const op = await settled(smOp!);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    const byName = Object.fromEntries(op.steps.map((st) => [st.name, st]));
    for (const name of ['place', 'deliver', 'verify']) {
      assert.equal(byName[name]?.state, 'skipped', name);
      assert.match(String(byName[name]?.message), /^SelfManaged: /, name);
    }
    assert.equal(byName.render?.state, 'succeeded');
    assert.deepEqual(byName.record?.output?.health, 'Published');
    const e = await env(sm, 'dev');
    assert.equal(e.health, 'Published');
    assert.equal(e.appliedRevision ?? null, null, 'nothing was applied anywhere');
    assert.equal(e.lastGoodRevision, byName.render?.output?.revision, 'the published revision is the rendered one');
    const cond = Object.fromEntries(e.conditions.map((c) => [c.type, c.status]));
    assert.deepEqual([cond.Published, cond.Ready, cond.Degraded], ['True', 'False', 'False']);

    // The SaaS tenant beside it needs a cluster, and there is none: its onboarding cannot succeed.
    const s = await settled(saasOp!);
    assert.equal(s.state, 'failed');
    assert.equal(s.steps.find((st) => st.name === 'place')?.state, 'failed');
  });

  test('the release train lists the published revision; the bundle carries it; another tenant sees neither', async () => {
    const train = await h.req('GET', `/v1/self-managed/environments?tenant=${sm}`);
    assert.equal(train.status, 200);
    const [item] = (train.body as { items: Array<Record<string, unknown>> }).items;
    const e = await env(sm, 'dev');
    assert.deepEqual([item?.available, item?.revision, item?.health, item?.installed], ['1.0.0', e.lastGoodRevision, 'Published', null]);
    const bundle = await h.req('GET', `/v1/tenants/${sm}/bundles/dev`);
    assert.equal(bundle.status, 200);
    const theirs = await h.req('GET', '/v1/self-managed/environments', { token: otherToken });
    assert.deepEqual((theirs.body as { items: Array<{ tenant: string }> }).items.map((i) => i.tenant), [other]);
    // A tenant token's own tenant replaces the filter (api/auth.ts tenantFilter): asking for another gets its own rows only.
    const asked = await h.req('GET', `/v1/self-managed/environments?tenant=${sm}`, { token: otherToken });
    assert.deepEqual((asked.body as { items: Array<{ tenant: string }> }).items.map((i) => i.tenant), [other]);
    assert.equal((await h.req('GET', `/v1/tenants/${sm}/bundles/dev`, { token: otherToken })).status, 404, 'another tenant does not learn it exists');
  });

  test('a drift pass leaves published environments alone', async () => {
    const before = await env(sm, 'dev');
    await engine.reconcileOnce();
    const after = await env(sm, 'dev');
    assert.deepEqual([after.health, after.conditions.some((c) => c.type === 'Drifted')], ['Published', false]);
    assert.equal(after.updatedAt, before.updatedAt, 'not written by the drift pass');
  });

  test('a rollout previews and publishes the new bundle per wave: Published, no cluster touched', async () => {
    const body = { blueprint: 'demo-app', version: '1.1.0', selector: { tenants: [sm] }, strategy: { canary: { count: 1 }, waves: [100], maxParallel: 2, gates: { health: true, bakeSeconds: 0 } } };
    const preview = await h.req('POST', '/v1/rollouts:preview', { body });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const p = preview.body as { environments: Array<{ tenant: string; delivery: string }>; skipped: unknown[] };
    assert.deepEqual(p.environments.map((x) => [x.tenant, x.delivery]), [[sm, 'publish']]);
    assert.deepEqual(p.skipped, []);
    const created = await h.req('POST', '/v1/rollouts', { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = (created.body as { id: string }).id;
    const controller = new RolloutController({ store: h.store, workerId: 'test', logger });
    for (let i = 0; i < 200; i++) {
      await controller.tick();
      const r = await h.store.rollouts.get(id);
      if (r && r.state !== 'running') break;
      const t = (await h.store.rollouts.targets(id))[0];
      if (t?.operationId) await settled(t.operationId);
    }
    const targets = await h.store.rollouts.targets(id);
    assert.deepEqual(targets.map((t) => [t.tenant, t.state, t.reason]), [[sm, 'succeeded', 'Published']]);
    assert.equal((await h.store.rollouts.get(id))?.state, 'succeeded');
    const e = await env(sm, 'dev');
    assert.deepEqual([e.version, e.health, e.appliedRevision ?? null], ['1.1.0', 'Published', null]);
  });

  test('offboarding removes nothing from a cluster and deletes the environment', async () => {
    const r = await h.req('DELETE', `/v1/tenants/${sm}`);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const op = await settled((r.body as { id: string }).id);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    assert.equal(op.steps.find((st) => st.name === 'remove')?.state, 'skipped');
    assert.equal((await env(sm, 'dev')).health, 'Deleted');
  });
});
