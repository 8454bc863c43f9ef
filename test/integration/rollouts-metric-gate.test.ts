// The rollout metric gate against a real Prometheus server (preloaded samples): a wave whose error
// ratio is under the threshold passes, one above fails with the reading, no data fails, a broken
// query fails with Prometheus's error. Needs PROMETHEUS_BIN/PROMTOOL_BIN (scripts/prometheus.sh ensure).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPrometheusWith, type RunningPrometheus } from '../../src/adapters/prometheus/testing.ts';
import { evaluateMetricGate } from '../../src/engine/rollouts/metric-gate.ts';

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
