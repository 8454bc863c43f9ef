// Speed of one full forecast (clean, detect season, fit every candidate, choose by rolling backtest, upper
// bound) on a 14-day 1-minute series (20,160 points), per service. Baseline measured in the same run: the
// "same time yesterday" forecast computed the plain way, plus a plain pass summing the array, so the
// ratio says how many naive passes one full forecast costs on this (shared, noisy) machine.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTraceCsv } from '../src/forecast/csv.ts';
import { fitForecaster } from '../src/forecast/selector.ts';
import { toDense } from '../src/forecast/series.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.env.FLEETPLANE_TRACES_DIR ?? join(here, '..', '..', 'shared', 'data', 'traces', 'crane'));
const N = 14 * 1440;
const series = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => {
  const v = toDense(parseTraceCsv(readFileSync(join(dir, f), 'utf8'), f), 60, { season: 1440 }).values;
  // Shorter traces are extended by repeating their last week so every service has exactly 14 days.
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = i < v.length ? v[i]! : out[i - 10080]!;
  return out;
});

function naive(v: Float64Array): number {
  // Baseline: read the whole series once (mean) and emit same-time-yesterday for 30 horizons.
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  let f = 0;
  for (let h = 1; h <= 30; h++) f += v[v.length - 1440 + h]!;
  return s + f;
}

// Wall time is what a caller waits; CPU time (this process) is what the work costs when other
// processes share the cores, so both are reported.
function timeEach(fn: (v: Float64Array) => unknown, rounds: number): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const v of series) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      fn(v);
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

const full = (v: Float64Array): number => fitForecaster(v, { horizons: [5, 15, 30], leadTime: 5 }).window(v.length - 1).upper;
timeEach(full, 2); // warm-up (JIT)
timeEach(naive, 2);
const fullT = timeEach(full, 5);
const naiveT = timeEach(naive, 5);
const fullMs = fullT.wall;
const naiveMs = naiveT.wall;
const med = (a: number[]): number => a[a.length >> 1]!;
const p95 = (a: number[]): number => a[Math.floor(a.length * 0.95)]!;
console.log(`full forecast per 14-day series: median ${med(fullMs).toFixed(2)} ms, p95 ${p95(fullMs).toFixed(2)} ms (${fullMs.length} runs over ${series.length} services)`);
console.log(`  CPU time of this process:       median ${med(fullT.cpu).toFixed(2)} ms, p95 ${p95(fullT.cpu).toFixed(2)} ms`);
console.log(`naive pass per series:           median ${med(naiveMs).toFixed(4)} ms`);
console.log(`1,000 services at the median: ${med(fullMs).toFixed(1)} s on one core`);
console.log(JSON.stringify({
  bench: 'forecast-speed',
  metric: 'ms_per_14d_series',
  value: Number(med(fullMs).toFixed(2)),
  unit: 'ms',
  baseline: 'naive pass (sum + same-time-yesterday) over the same series',
  baseline_value: Number(med(naiveMs).toFixed(4)),
  ratio: Number((med(fullMs) / med(naiveMs)).toFixed(1)),
  p95_ms: Number(p95(fullMs).toFixed(2)),
  cpu_ms: Number(med(fullT.cpu).toFixed(2)),
  target_ms: 50,
  points: N,
}));
