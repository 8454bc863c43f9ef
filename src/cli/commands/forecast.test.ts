import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { InputError } from '../../domain/errors.ts';
import { detectStep, parseDurations, runBacktest, runPredict } from './forecast.ts';

const dir = mkdtempSync(join(tmpdir(), 'fp-forecast-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_006_400;
/** Writes a synthetic trace: `days` of samples every `step` seconds from f(seconds since start). */
function fixture(name: string, o: { days: number; step: number; f: (sec: number) => number | string }): string {
  const rows = ['ts,value'];
  for (let s = 0; s < o.days * 86_400; s += o.step) {
    const v = o.f(s);
    rows.push(`${T0 + s},${typeof v === 'number' ? v.toFixed(4) : v}`);
  }
  const file = join(dir, name);
  writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}
const daily = (sec: number): number => 100 + 50 * Math.sin((2 * Math.PI * sec) / 86_400) + 3 * Math.sin(sec / 97);

interface Out {
  traces: Array<{ file: string; stepSeconds: number; horizons: Array<{ minutes: number; selector: number; baseline: { name: string; wape: number }; gain: { gain: number | null }; wape: Record<string, number | null> }>; simulation: { reactive: { peakReplicas: number; lowestReplicas: number } } }>;
  summary: { horizons: Array<{ minutes: number }> };
}
const backtestJson = (files: string[], extra: Partial<{ horizons: string; folds: string }> = {}): Out =>
  JSON.parse(runBacktest(files, { horizons: '5m,15m,30m', output: 'json', startup: '3m', folds: '1', ...extra })) as Out;

it('parses horizon lists and rejects bad items by name', () => {
  assert.deepEqual(parseDurations('5m,15m, 1h,90s,30'), [300, 900, 3600, 90, 1800]);
  for (const bad of ['5x', '0m', '', '-5m', '1.5m']) {
    assert.throws(() => parseDurations(bad), (e: unknown) => e instanceof InputError && e.message.includes(`"${bad.trim()}"`));
  }
});

it('detects the sampling step from the most common gap', () => {
  assert.equal(detectStep([{ ts: 0 }, { ts: 60 }, { ts: 120 }, { ts: 300 }, { ts: 360 }]), 60);
});

describe('forecast backtest on synthetic traces', () => {
  it('1-minute trace: every model per horizon, the strongest baseline named, the simulator scales', () => {
    const out = backtestJson([fixture('daily.csv', { days: 5, step: 60, f: daily })], { horizons: '15m,30m' });
    const t = out.traces[0]!;
    assert.equal(t.file, 'daily.csv');
    assert.deepEqual(t.horizons.map((h) => h.minutes), [15, 30]);
    for (const h of t.horizons) {
      for (const m of ['last_value', 'same_time_yesterday', 'recent_mean', 'seasonal_naive', 'seasonal_naive_level', 'ridge', 'mlp']) assert.ok(Number.isFinite(h.wape[m]), `${m} at ${h.minutes}`);
      assert.ok(h.selector < h.wape.last_value!, `selector ${h.selector} vs last value ${h.wape.last_value}`);
      const five = ['last_value', 'same_time_yesterday', 'recent_mean', 'seasonal_naive', 'seasonal_naive_level'].map((m) => h.wape[m]!);
      assert.equal(h.baseline.wape, Math.min(...five));
    }
    // Load varies 50..150: the reactive HPA must really scale under the capacity rule.
    assert.ok(t.simulation.reactive.peakReplicas >= 2 * t.simulation.reactive.lowestReplicas, JSON.stringify(t.simulation.reactive));
  });

  it('15-second and 5-minute traces report horizons in minutes', () => {
    const fast = backtestJson([fixture('fast.csv', { days: 3, step: 15, f: daily })]);
    assert.equal(fast.traces[0]!.stepSeconds, 15);
    assert.deepEqual(fast.traces[0]!.horizons.map((h) => h.minutes), [5, 15, 30]);
    const slow = backtestJson([fixture('slow.csv', { days: 6, step: 300, f: daily })]);
    assert.equal(slow.traces[0]!.stepSeconds, 300);
    assert.deepEqual(slow.traces[0]!.horizons.map((h) => h.minutes), [5, 15, 30]);
    assert.throws(() => backtestJson([join(dir, 'slow.csv')], { horizons: '1m' }), /slow\.csv: --horizons 1m is not a whole number of the trace's 300s steps/);
  });

  it('a constant trace is accepted: every model is exact and gains are undefined (null)', () => {
    const t = backtestJson([fixture('flat.csv', { days: 3, step: 60, f: () => 7 })]).traces[0]!;
    for (const h of t.horizons) { assert.equal(h.selector, 0); assert.equal(h.gain.gain, null); }
  });

  it('NaN values are gaps, filled like missing rows', () => {
    const t = backtestJson([fixture('gaps.csv', { days: 3, step: 60, f: (s) => (s % 3600 < 300 ? 'NaN' : daily(s)) })]).traces[0]!;
    assert.ok(t.horizons.every((h) => Number.isFinite(h.selector)));
  });
});

describe('forecast backtest refuses unusable traces with one line naming the file', () => {
  const cases: Array<[string, { days: number; step: number; f: (sec: number) => number | string }, RegExp]> = [
    ['short.csv', { days: 2, step: 60, f: daily }, /^[^\n]*short\.csv:2881: trace ends after 2\.00 days at 60s steps; needs at least 3 days$/],
    ['zero.csv', { days: 3, step: 60, f: () => 0 }, /zero\.csv: every value is 0/],
    ['negative.csv', { days: 3, step: 60, f: (s) => (s === 600 ? -3 : 5) }, /negative\.csv:12: negative value -3/],
  ];
  for (const [name, spec, re] of cases) {
    it(name, () => {
      const file = fixture(name, spec);
      assert.throws(() => backtestJson([file]), (e: unknown) => e instanceof InputError && re.test(`${e.message}`) && !e.message.includes('\n'));
    });
  }
  it('out of order, infinite and millisecond timestamps name file:line', () => {
    const f = join(dir, 'order.csv');
    writeFileSync(f, 'ts,value\n100,1\n160,2\n130,3\n');
    assert.throws(() => backtestJson([f]), /order\.csv:4: timestamps must increase \(130 after 160\)/);
    writeFileSync(f, 'ts,value\n100,1\n160,Infinity\n');
    assert.throws(() => backtestJson([f]), /order\.csv:3: value Infinity is not finite/);
    writeFileSync(f, 'ts,value\n1700000000000,1\n');
    assert.throws(() => backtestJson([f]), /order\.csv:2: timestamp 1700000000000 looks like milliseconds/);
  });
  it('the command prints one line on stderr and exits 2', () => {
    const script = fileURLToPath(new URL('./forecast.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, 'backtest', join(dir, 'negative.csv')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^fleetplane: .*negative\.csv:12: negative value -3[^\n]*\n$/);
  });
});

it('predicts from the end of a trace with the upper bound and the pods it needs', () => {
  const file = fixture('predict.csv', { days: 4, step: 60, f: (s) => 100 + 50 * Math.sin((2 * Math.PI * s) / 86_400) });
  const out = JSON.parse(runPredict(file, { horizons: '15m', lead: '5m', quantile: '0.9', capacity: '10', output: 'json' })) as {
    horizons: Array<{ minutes: number; value: number }>; window: { point: number; upper: number }; replicas_for_upper: number;
  };
  // The next 15 minutes of the sine continue from the last point.
  const expected = 100 + 50 * Math.sin((2 * Math.PI * (4 * 1440 - 1 + 15)) / 1440);
  assert.equal(out.horizons[0]!.minutes, 15);
  assert.ok(Math.abs(out.horizons[0]!.value - expected) < 2, `${out.horizons[0]!.value} vs ${expected}`);
  assert.ok(out.window.upper >= out.window.point - 1e-9);
  assert.equal(out.replicas_for_upper, Math.ceil(out.window.upper / 10 - 1e-9));
  assert.throws(() => runPredict(file, { horizons: '15m', lead: '5m', quantile: '0.3', output: 'table' }), /--quantile/);
});
