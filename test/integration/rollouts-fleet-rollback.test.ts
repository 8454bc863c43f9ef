// Fleet-wide rollback (issue #21): a rollout with `onGateFailure: rollback` whose wave-2 metric gate
// fails (a real Prometheus with recorded samples: tenant c's error ratio is 20%) rolls back EVERY
// environment it changed, waves 0, 1 and 2, to the revision each ran before; the release is marked
// rejected, so a new rollout of it is refused (409) and so is onboarding onto it (400 naming the
// field), until an admin clears the rejection. The per-tenant SLO gate with the default policy pauses
// instead, naming the tenant, window and value, and rolls nothing back. The controller is the real one
// on each store (embedded and PostgreSQL);
// the worker is played by the test through the real queue API, so each Operation is observable
// (rollouts-slo-gate / rollouts.test.ts run rollouts against the real engine and clusters).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { RolloutController } from '../../src/engine/rollouts/index.ts';
import type { Operation } from '../../src/domain/types.ts';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { BACKENDS, BLUEPRINT, harness, type Harness } from '../helpers/api-harness.ts';

const T0 = 1_700_000_000;
const samples = (v: number) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + i * 60, value: v }));
const release = (version: string) => ({ ...BLUEPRINT, metadata: { ...BLUEPRINT.metadata, version } });
const TENANTS: Array<[string, Record<string, string>]> = [['int', { internal: 'true' }], ['a', {}], ['b', {}], ['c', {}], ['d', {}]];

/** The recorded ratio series the generated SLO recording rules would produce (render/monitoring), per window. */
const sloSeries = (tenant: string, value: number) => ['5m', '30m', '1h', '6h'].flatMap((w) => ['errors', 'slow'].map((what) => ({
  metric: `service:http_request_${what}:ratio_rate${w}`, labels: { tenant, environment: 'prod', namespace: `${tenant}-prod`, service: 'web' },
  samples: samples(what === 'errors' ? value : 0.001),
})));

for (const backend of BACKENDS) describe(`fleet-wide rollback on a failed gate (${backend})`, () => {
  let h: Harness;
  let prom: RunningPrometheus;
  const clock = { now: new Date((T0 + 9 * 60) * 1000) };
  let controller: RolloutController;
  let id = '';
  const played: Operation[] = [];

  /** Plays the worker: an upgrade records the revision it replaces, a rollback puts the old version back. */
  async function settle(): Promise<string[]> {
    const done: string[] = [];
    for (let c = await h.store.queue.claim('test-worker', 30_000, ['upgrade', 'rollback']); c; c = await h.store.queue.claim('test-worker', 30_000, ['upgrade', 'rollback'])) {
      const op = c.operation;
      played.push(op);
      const env = (await h.store.environments.get(op.tenant, op.environment!))!;
      if (op.kind === 'upgrade') {
        await c.recordStep({ name: 'render', state: 'succeeded', attempts: 1, output: { revision: `rev-${op.tenant}-new`, previousRevision: `rev-${op.tenant}-old` } });
        await c.complete({});
        await h.store.environments.update(op.tenant, env.name, { version: String(op.params.version) });
      } else {
        assert.equal(op.params.revision, `rev-${op.tenant}-old`, 'back to the revision it ran before this rollout');
        await c.complete({});
        await h.store.environments.update(op.tenant, env.name, { version: '1.0.0' });
      }
      done.push(`${op.kind}:${op.tenant}`);
    }
    return done.sort();
  }

  before(async () => {
    prom = await startPrometheusWith(TENANTS.flatMap(([tenant]) => [
      { metric: 'fleetplane_error_ratio', labels: { tenant, environment: 'prod' }, samples: samples(tenant === 'c' ? 0.2 : 0.001) },
      ...sloSeries(tenant, tenant === 'c' ? 0.2 : 0.001),
    ]));
    h = await harness(backend, undefined, { now: () => clock.now });
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) assert.ok([200, 201].includes((await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: v, spec: release(v) } })).status));
    for (const [slug, labels] of TENANTS) {
      await h.store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels });
      await h.store.environments.create({
        tenant: slug, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: 'c1', namespace: `${slug}-prod` },
        delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
      });
    }
    controller = new RolloutController({ store: h.store, workerId: 'ctl', now: () => clock.now, prometheusUrl: prom.url, logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await h?.close();
    await prom?.stop();
  });

  test('waves 0 and 1 pass their gate, wave 2 fails it: every changed environment is rolled back and the release rejected', async () => {
    const gate = { query: 'max(fleetplane_error_ratio{tenant=~"$tenants",environment=~"$environments"})', op: '<', threshold: 0.01 };
    const r = await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.1.0', strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 5, onGateFailure: 'rollback', gates: { health: true, bakeSeconds: 0, metric: gate } } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    id = (r.body as { id: string }).id;
    const waves = (r.body as { waves: Array<{ targets: Array<{ tenant: string }> }> }).waves.map((w) => w.targets.map((t) => t.tenant));
    assert.deepEqual(waves, [['int'], ['a', 'b'], ['c', 'd']]);

    const kinds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const decisions = await controller.tick();
      kinds.push(...decisions.map((d) => d.kind));
      await settle();
      const now = await h.store.rollouts.get(id);
      if (now?.state === 'rolled-back') break;
    }
    assert.ok(kinds.includes('rolling-back'), kinds.join());
    const ro = (await h.store.rollouts.get(id))!;
    assert.equal(ro.state, 'rolled-back');
    assert.match(String(ro.reason), /metric gate/);
    assert.equal(ro.status.waves[2]?.gate, 'failed');
    assert.deepEqual([ro.status.rollback?.environments, ro.status.rollback?.restored, ro.status.rollback?.failed], [5, 5, []]);
    assert.equal(typeof ro.status.rollback?.seconds, 'number');

    // All five environments (waves 0, 1 and 2) got exactly one rollback, and all are back on 1.0.0.
    const rollbacks = played.filter((o) => o.kind === 'rollback').map((o) => o.tenant).sort();
    assert.deepEqual(rollbacks, ['a', 'b', 'c', 'd', 'int']);
    for (const [slug] of TENANTS) assert.equal((await h.store.environments.get(slug, 'prod'))?.version, '1.0.0', slug);

    const rel = (await h.req('GET', '/v1/blueprints/demo-app/1.1.0')).body as { rejected: { rollout: string; reason: string } | null };
    assert.equal(rel.rejected?.rollout, id);
  });

  test('GET /v1/rollouts/{id} shows the rollback (it once left status.rollback out)', async () => {
    const stored = (await h.store.rollouts.get(id))!.status.rollback!;
    const view = (await h.req('GET', `/v1/rollouts/${id}`)).body as { state: string; rollback: typeof stored };
    assert.equal(view.state, 'rolled-back');
    assert.deepEqual(view.rollback, stored);
    assert.deepEqual([view.rollback.environments, view.rollback.restored, typeof view.rollback.seconds], [5, 5, 'number']);
  });

  test('a rolled-back controller tick queues nothing twice (idempotent per environment)', async () => {
    const before = played.length;
    await controller.reconcile(id);
    assert.deepEqual(await settle(), []);
    assert.equal(played.length, before);
  });

  test('the rejected release is refused by a new rollout and by onboarding until an admin clears it', async () => {
    const again = await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.1.0' } });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.match(String((again.body as { detail: string }).detail), new RegExp(`rejected by rollout ${id}`));
    const onboard = await h.req('POST', '/v1/tenants', { body: { slug: 'newco', name: 'NewCo', tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.1.0' }] } });
    assert.equal(onboard.status, 400, JSON.stringify(onboard.body));
    assert.deepEqual((onboard.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field), ['/environments/0/version']);
    assert.equal(await h.store.tenants.get('newco'), null, 'nothing written on a refused request');

    const tenantToken = `fpt_x_${'1'.repeat(20)}`;
    await h.store.tokens.create({ name: 'tenant', tenant: 'a', role: 'tenant-admin' }, tenantToken);
    assert.equal((await h.req('POST', '/v1/blueprints/demo-app/1.1.0:clear-rejection', { token: tenantToken })).status, 403, 'admins only');
    assert.equal((await h.req('POST', '/v1/blueprints/demo-app/9.9.9:clear-rejection')).status, 404);
    const cleared = await h.req('POST', '/v1/blueprints/demo-app/1.1.0:clear-rejection');
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal((cleared.body as { rejected: unknown }).rejected, null);
    assert.equal((await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.1.0', selector: { tenants: ['a'] } } })).status, 201);

    const manual = await h.req('POST', '/v1/blueprints/demo-app/1.0.0:reject', { body: { reason: 'CVE-2026-0001 in the web image' } });
    assert.equal(manual.status, 200, JSON.stringify(manual.body));
    assert.equal((await h.req('POST', '/v1/blueprints/demo-app/1.0.0:reject', { body: {} })).status, 400, 'a reason is required');
    const refused = await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.0.0' } });
    assert.equal(refused.status, 409);
    assert.match(String((refused.body as { detail: string }).detail), /CVE-2026-0001/);
  });

  test('a gate failing before the last wave: the later waves\' targets are cancelled and let go, not left pending in a rolled-back rollout', async () => {
    // The rollout of 1.1.0 for tenant a (previous test) still holds a: stop it first.
    for (const r of (await h.store.rollouts.list({ limit: 10 })).items.filter((x) => x.state === 'pending' || x.state === 'running')) {
      assert.equal((await h.req('POST', `/v1/rollouts/${r.id}:abort`)).status, 200);
    }
    // The canary's own error ratio (0.001) is over this gate's threshold: it fails on the canary wave.
    const gate = { query: 'max(fleetplane_error_ratio{tenant=~"$tenants",environment=~"$environments"})', op: '<', threshold: 0.0005 };
    const r = await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.2.0', strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 5, onGateFailure: 'rollback', gates: { health: true, bakeSeconds: 0, metric: gate } } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const rid = (r.body as { id: string }).id;
    for (let i = 0; i < 10 && (await h.store.rollouts.get(rid))?.state !== 'rolled-back'; i++) {
      await controller.tick();
      await settle();
    }
    const view = (await h.req('GET', `/v1/rollouts/${rid}`)).body as { state: string; totals: Record<string, number>; rollback: { environments: number; restored: number }; waves: Array<{ targets: Array<{ state: string; reason: string | null }> }> };
    assert.equal(view.state, 'rolled-back');
    assert.deepEqual([view.rollback.environments, view.rollback.restored], [1, 1], 'only the canary was changed, and it is back');
    assert.deepEqual(view.waves.slice(1).flatMap((w) => w.targets.map((t) => [t.state, t.reason])), [['cancelled', 'RolledBack'], ['cancelled', 'RolledBack'], ['cancelled', 'RolledBack'], ['cancelled', 'RolledBack']]);
    assert.equal(view.totals.pending, 0);
    for (const [slug] of TENANTS) assert.equal(await h.store.queue.holder(slug, 'prod'), null, `${slug} is not held`);
    assert.deepEqual(played.filter((o) => o.params.rollout === rid).map((o) => `${o.kind}:${o.tenant}`).sort(), ['rollback:int', 'upgrade:int']);
  });
  test('the SLO gate with the default policy pauses where a tenant burns its budget, names it, and rolls nothing back', async () => {
    const r = await h.req('POST', '/v1/rollouts', { body: { blueprint: 'demo-app', version: '1.3.0', strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 5, gates: { health: true, bakeSeconds: 0, slo: { severities: ['page'] } } } } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const rid = (r.body as { id: string }).id;
    const kinds: string[] = [];
    for (let i = 0; i < 10 && (await h.store.rollouts.get(rid))?.state !== 'paused'; i++) {
      kinds.push(...(await controller.tick()).map((d) => d.kind));
      await settle();
    }
    const ro = (await h.store.rollouts.get(rid))!;
    assert.equal(ro.state, 'paused', kinds.join());
    assert.deepEqual(ro.status.waves.map((w) => w.gate), ['passed', 'passed', 'failed']);
    // shared tier, availability 99.5 %: the page threshold is 14.4 × 0.005 = 0.072 over 1h/5m.
    assert.match(String(ro.reason), /c\/prod/);
    assert.match(String(ro.reason), /1h\/5m/);
    assert.match(String(ro.reason), /0\.2/);
    assert.equal(ro.status.rollback, undefined);
    assert.deepEqual(played.filter((o) => o.params.rollout === rid && o.kind === 'rollback'), [], 'the default policy rolls nothing back');
    assert.equal(((await h.req('GET', '/v1/blueprints/demo-app/1.3.0')).body as { rejected: unknown }).rejected, null, 'nor rejects the release');
    assert.equal((await h.req('POST', `/v1/rollouts/${rid}:abort`)).status, 200);
  });
});
