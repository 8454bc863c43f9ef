// The rollout metric gate against a real Prometheus server (preloaded samples): a wave whose error
// ratio is under the threshold passes, one above fails with the reading, no data fails, a broken
// query fails with Prometheus's error; and the controller (embedded store) advances past a passing
// gate and pauses on a failing one. Needs PROMETHEUS_BIN/PROMTOOL_BIN (scripts/prometheus.sh ensure).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { createHash } from 'node:crypto';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { RolloutController, RolloutService } from '../../src/engine/rollouts/index.ts';
import { evaluateMetricGate } from '../../src/engine/rollouts/metric-gate.ts';
import { freshEmbedded, type TestDatabase } from '../helpers/db.ts';

const T0 = 1_700_000_000; // seconds
let prom: RunningPrometheus;
const samples = (v: number) => Array.from({ length: 10 }, (_, i) => ({ ts: T0 + i * 60, value: v }));

before(async () => {
  prom = await startPrometheusWith([
    { metric: 'fleetplane_error_ratio', labels: { tenant: 'good1', environment: 'prod' }, samples: samples(0.001) },
    { metric: 'fleetplane_error_ratio', labels: { tenant: 'good2', environment: 'prod' }, samples: samples(0.004) },
    { metric: 'fleetplane_error_ratio', labels: { tenant: 'bad', environment: 'prod' }, samples: samples(0.2) },
  ]);
});
after(async () => { await prom?.stop(); });

const gate = { query: 'max(fleetplane_error_ratio{tenant=~"$tenants",environment=~"$environments"})', op: '<' as const, threshold: 0.01 };
const now = new Date((T0 + 9 * 60) * 1000);
const wave = (...tenants: string[]) => tenants.map((tenant) => ({ tenant, environment: 'prod' }));

test('passes when every sample of the wave is under the threshold', async () => {
  const r = await evaluateMetricGate(gate, { url: prom.url, targets: wave('good1', 'good2'), now });
  assert.deepEqual(r, { pass: true, value: 0.004 });
});

test('fails with the reading when one environment is over', async () => {
  const r = await evaluateMetricGate(gate, { url: prom.url, targets: wave('good1', 'bad'), now });
  assert.equal(r.pass, false);
  assert.equal(r.value, 0.2);
  assert.match(r.reason ?? '', /0\.2 < 0\.01 is false/);
});

test('no data fails the gate', async () => {
  const r = await evaluateMetricGate(gate, { url: prom.url, targets: wave('nobody'), now });
  assert.equal(r.pass, false);
  assert.match(r.reason ?? '', /no data/);
});

test('an invalid query fails with Prometheus\'s own error', async () => {
  const r = await evaluateMetricGate({ ...gate, query: 'max(' }, { url: prom.url, targets: wave('good1'), now });
  assert.equal(r.pass, false);
  assert.match(r.reason ?? '', /metric query failed: .*parse error/i);
});

test('the controller advances past a passing metric gate and pauses on a failing one', async () => {
  const db: TestDatabase = await freshEmbedded();
  const store: SqlStore = await openStore({ dataDir: db.dataDir, secretKey: 'b'.repeat(64) });
  try {
    await store.migrate();
    const spec = { metadata: { name: 'app', version: '2.0.0' } };
    await store.blueprints.publish({ name: 'app', version: '2.0.0', spec, digest: createHash('sha256').update('2').digest('hex') });
    for (const slug of ['good1', 'bad']) {
      await store.tenants.create({ slug, name: slug, tier: 'shared', channel: 'saas', labels: slug === 'good1' ? { internal: 'true' } : {} });
      await store.environments.create({ tenant: slug, name: 'prod', type: 'prod', blueprint: 'app', version: '1.0.0', values: {}, placement: { cluster: 'c1', namespace: `${slug}-prod` }, delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [] });
    }
    const service = new RolloutService({ store, now: () => now });
    const { rollout } = await service.create({ blueprint: 'app', version: '2.0.0', strategy: { canary: { count: 1 }, waves: [100], gates: { health: true, metric: gate } } }, { actor: 'admin' });
    const controller = new RolloutController({ store, workerId: 'w', now: () => now, prometheusUrl: prom.url });
    const settle = async () => {
      for (let c = await store.queue.claim('t', 30_000, ['upgrade']); c; c = await store.queue.claim('t', 30_000, ['upgrade'])) await c.complete({});
    };
    await controller.tick();
    await settle();
    assert.deepEqual((await controller.tick()).map((d) => d.kind), ['advanced'], 'canary good1: error ratio 0.001 passes');
    await controller.tick();
    await settle();
    const [d] = await controller.tick();
    assert.equal(d?.kind, 'paused');
    const v = await service.get(rollout.id);
    assert.equal(v.state, 'paused');
    assert.match(v.reason ?? '', /metric gate: 0\.2 < 0\.01 is false/);
    assert.deepEqual([v.waves[0]!.gate, v.waves[1]!.gate], ['passed', 'failed']);
  } finally {
    await store.close();
    await db.cleanup();
  }
});
