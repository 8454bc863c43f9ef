import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { InputError } from '../../domain/errors.ts';
import { detectStep, parseDurations, runBacktest, runPredict } from './forecast.ts';

const dir = mkdtempSync(join(tmpdir(), 'fp-forecast-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('parses horizon lists and rejects bad items by name', () => {
  assert.deepEqual(parseDurations('5m,15m, 1h,90s,30'), [300, 900, 3600, 90, 1800]);
  for (const bad of ['5x', '0m', '', '-5m', '1.5m']) {
    assert.throws(() => parseDurations(bad), (e: unknown) => e instanceof InputError && e.message.includes(`"${bad.trim()}"`));
  }
});

it('detects the sampling step from the most common gap', () => {
  assert.equal(detectStep([{ ts: 0, value: 1 }, { ts: 60, value: 1 }, { ts: 120, value: 1 }, { ts: 300, value: 1 }, { ts: 360, value: 1 }]), 60);
});

it('backtests a CSV end to end and prints JSON with every model per horizon', () => {
  const file = join(dir, 'daily.csv');
  const rows = ['ts,value'];
  for (let i = 0; i < 5 * 1440; i++) rows.push(`${1_700_000_000 + i * 60},${(100 + 50 * Math.sin((2 * Math.PI * i) / 1440)).toFixed(3)}`);
  writeFileSync(file, rows.join('\n'));
  const out = JSON.parse(runBacktest([file], { horizons: '15m,30m', output: 'json', startup: '3m' })) as {
    files: Array<{ file: string; horizons: Array<{ horizon_minutes: number; wape: Record<string, number> }>; simulator: { reactive: unknown; predictive: unknown } }>;
    median_wape: Record<string, Record<string, number>>;
  };
  assert.equal(out.files[0]!.file, 'daily.csv');
  assert.deepEqual(out.files[0]!.horizons.map((h) => h.horizon_minutes), [15, 30]);
  for (const h of out.files[0]!.horizons) {
    for (const m of ['selector', 'last_value', 'same_time_yesterday', 'ridge']) assert.ok(Number.isFinite(h.wape[m]), `${m} at ${h.horizon_minutes}`);
    assert.ok(h.wape.selector! < h.wape.last_value!);
  }
  assert.ok(out.files[0]!.simulator.reactive && out.files[0]!.simulator.predictive);
  assert.ok(out.median_wape['30']!.selector! >= 0);
});

it('a bad row fails with file:line; too little data fails clearly', () => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'ts,value\n1,2\n61,x\n');
  assert.throws(() => runBacktest([bad], { horizons: '5m', output: 'table', startup: '3m' }), /bad\.csv:3: /);
  const short = join(dir, 'short.csv');
  writeFileSync(short, 'ts,value\n60,1\n120,2\n');
  assert.throws(() => runBacktest([short], { horizons: '5m', output: 'table', startup: '3m' }), /needs at least two days/);
});

it('predicts from the end of a trace with the upper bound and the pods it needs', () => {
  const file = join(dir, 'predict.csv');
  const rows = ['ts,value'];
  for (let i = 0; i < 4 * 1440; i++) rows.push(`${1_700_000_000 + i * 60},${(100 + 50 * Math.sin((2 * Math.PI * i) / 1440)).toFixed(3)}`);
  writeFileSync(file, rows.join('\n'));
  const out = JSON.parse(runPredict(file, { horizons: '15m', lead: '5m', quantile: '0.9', capacity: '10', output: 'json' })) as {
    horizons: Array<{ minutes: number; value: number }>; window: { point: number; upper: number }; replicas_for_upper: number;
  };
  // The next 15 minutes of the sine continue from the last point.
  const expected = 100 + 50 * Math.sin((2 * Math.PI * (4 * 1440 - 1 + 15)) / 1440);
  assert.equal(out.horizons[0]!.minutes, 15);
  assert.ok(Math.abs(out.horizons[0]!.value - expected) < 2, `${out.horizons[0]!.value} vs ${expected}`);
  assert.ok(out.window.upper >= out.window.point);
  assert.equal(out.replicas_for_upper, Math.ceil(out.window.upper / 10));
  assert.throws(() => runPredict(file, { horizons: '15m', lead: '5m', quantile: '0.3', output: 'table' }), /--quantile/);
});
