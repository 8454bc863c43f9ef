// The Prometheus client (and the pre-scaler's history reader over it) against a real Prometheus loaded
// with a recorded production trace: 14 days at 1-minute steps only works chunked (a single request is
// refused past 11,000 points), gaps come back filled.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PrometheusClient, PrometheusError } from '../../src/adapters/prometheus/client.ts';
import { CachedHistory } from '../../src/scaling/history.ts';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { parseTraceCsv } from '../../src/forecast/csv.ts';
import { join } from 'node:path';
import { tracesDir } from '../../bench/traces-dir.ts';

const TRACE = join(tracesDir(), 'input9.csv');
const samples = parseTraceCsv(readFileSync(TRACE, 'utf8'), 'input9.csv');
const t0 = samples[0]!.ts;
// Holes: 3 minutes (Prometheus' 5-minute lookback bridges it) and 2 hours (a real gap in the answer).
const longGap = { from: t0 + 10 * 86_400, to: t0 + 10 * 86_400 + 7200 };
const kept = samples.filter((s) => !(s.ts > t0 + 86_400 && s.ts <= t0 + 86_400 + 180) && !(s.ts >= longGap.from && s.ts < longGap.to));

describe('prometheus client on a real server', () => {
  let prom: RunningPrometheus;
  before(async () => {
    prom = await startPrometheusWith([
      { metric: 'fp_load', labels: { service: 'web' }, samples: kept },
      { metric: 'fp_load', labels: { service: 'worker' }, samples: kept.slice(0, 100) },
    ]);
  });
  after(async () => { await prom?.stop(); });

  it('reads 14 days at 1-minute steps in chunks, which one request cannot', async () => {
    const client = new PrometheusClient({ url: prom.url });
    const end = t0 + 15 * 86_400;
    const q = { query: 'fp_load{service="web"}', start: end - 14 * 86_400, end, step: 60 };
    await assert.rejects(client.rangeOnce(q), (e: unknown) => e instanceof PrometheusError && /11,?000|resolution/i.test(e.message));
    const { series, samples: got } = await new CachedHistory(client).history(q);
    assert.equal(series.values.length, 14 * 1440 + 1);
    assert.equal(series.start, q.start);
    assert.ok(got < series.values.length, 'the 2-hour hole is missing from the answer');
    const byTs = new Map(samples.map((s) => [s.ts, s.value]));
    let checked = 0;
    for (let i = 0; i < series.values.length; i += 97) {
      const ts = series.start + i * 60;
      if (ts >= longGap.from && ts < longGap.to + 300) continue;
      const v = byTs.get(ts);
      if (v === undefined) continue;
      assert.ok(Math.abs(series.values[i]! - v) < 1e-6, `ts ${ts}: ${series.values[i]} vs ${v}`);
      checked++;
    }
    assert.ok(checked > 150);
    // The long gap is filled from the day before (shifted to meet both edges), not a straight line.
    const gi = (longGap.from + 3600 - series.start) / 60;
    const filled = series.values[gi]!;
    const truth = byTs.get(longGap.from + 3600)!;
    assert.ok(Number.isFinite(filled) && Math.abs(filled - truth) < 0.35 * truth, `filled ${filled} vs actual ${truth}`);
  });

  it('refuses a query that returns several series, saying how to fix it', async () => {
    const client = new PrometheusClient({ url: prom.url });
    const end = t0 + 2 * 86_400;
    await assert.rejects(new CachedHistory(client).history({ query: 'fp_load', start: t0, end, step: 60 }), /exactly one series.*sum/);
    const summed = await new CachedHistory(client).history({ query: 'sum(fp_load)', start: t0, end, step: 60 });
    assert.equal(summed.series.values.length, 2 * 1440 + 1);
  });

  it('reports PromQL errors from the server', async () => {
    const client = new PrometheusClient({ url: prom.url });
    await assert.rejects(client.rangeOnce({ query: 'sum(', start: t0, end: t0 + 600, step: 60 }), (e: unknown) => e instanceof PrometheusError && /bad_data|parse/i.test(e.message));
  });
});
