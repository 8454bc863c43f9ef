// The per-tenant SLO gate against a real Prometheus loaded with recorded samples of the ratio series the
// generated recording rules produce: one tenant whose error ratio burns its budget in wave 2 fails the
// gate, named with environment, service, SLO, window and value; a tenant within budget, a breach in
// only the long window (the short window has recovered) and another tenant's series pass.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prometheusInstant } from '../../src/adapters/prometheus/instant.ts';
import { evaluateSloGate, type SloTarget } from '../../src/engine/rollouts/slo-gate.ts';
import { startPrometheusWith, type RunningPrometheus, type SeriesToLoad } from '../helpers/prometheus.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0) / 1000;
const ratio = (w: string, tenant: string, environment: string, value: number, metric = 'service:http_request_errors:ratio_rate'): SeriesToLoad => ({
  metric: `${metric}${w}`, labels: { tenant, environment, namespace: `${tenant}-${environment}`, service: 'web' },
  samples: Array.from({ length: 20 }, (_, i) => ({ ts: NOW - 1200 + i * 60, value })),
});

describe('SLO gate on a real Prometheus', () => {
  let prom: RunningPrometheus;
  before(async () => {
    const series: SeriesToLoad[] = [];
    for (const w of ['5m', '30m', '1h', '6h']) {
      series.push(ratio(w, 'calm', 'prod', 0.001), ratio(w, 'calm', 'prod', 0.001, 'service:http_request_slow:ratio_rate'));
      // shared tier: availability 99.5% → page threshold 14.4 × 0.005 = 0.072 (1h/5m), 6 × 0.005 = 0.03 (6h/30m).
      series.push(ratio(w, 'hot', 'prod', 0.2), ratio(w, 'hot', 'prod', 0.001, 'service:http_request_slow:ratio_rate'));
      series.push(ratio(w, 'recovered', 'prod', w === '5m' || w === '30m' ? 0.001 : 0.2));
      series.push(ratio(w, 'outsider', 'prod', 0.9));
    }
    prom = await startPrometheusWith(series);
  });
  after(async () => { await prom?.stop(); });

  const read = () => prometheusInstant(prom.url, new Date(NOW * 1000));
  const t = (tenant: string, tier: SloTarget['tier'] = 'shared'): SloTarget => ({ tenant, environment: 'prod', tier });

  it('fails on the tenant that burns its budget, naming tenant, SLO, window and value', async () => {
    const res = await evaluateSloGate({ severities: ['page'] }, [t('calm'), t('hot'), t('recovered')], read());
    assert.equal(res.pass, false);
    assert.deepEqual(res.breaches.map((b) => [b.tenant, b.slo, b.window]), [['hot', 'availability', '1h/5m'], ['hot', 'availability', '6h/30m']]);
    assert.equal(res.breaches[0]!.threshold, 0.072);
    assert.equal(res.breaches[0]!.value, 0.2);
    assert.equal(res.breaches[0]!.burnRate, 40);
    assert.match(res.reason!, /^SLO gate: hot\/prod service web burns its availability budget 40x over 1h\/5m \(ratio 0\.200 > 0\.072\) \(\+1 more\)$/);
  });

  it('passes when every upgraded tenant is within budget; another tenant burning is not this rollout\'s', async () => {
    const res = await evaluateSloGate({ severities: ['page'] }, [t('calm'), t('recovered')], read());
    assert.deepEqual(res, { pass: true, breaches: [] });
  });

  it('the threshold is the tenant tier\'s: 0.001 breaches nothing on shared but 0.2 does on dedicated too', async () => {
    const res = await evaluateSloGate({ severities: ['page'] }, [t('calm', 'dedicated'), t('hot', 'dedicated')], read());
    assert.deepEqual([...new Set(res.breaches.map((b) => b.tenant))], ['hot']);
    assert.equal(res.breaches[0]!.threshold, 0.0072);
  });
});
