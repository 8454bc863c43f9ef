// Rolling-origin evaluation of one trace (pure): refit once per simulated day on everything before the
// origin, forecast from origins every few minutes over the test segment, score WAPE per model and horizon,
// and replay the segment through the capacity simulator with and without the pre-scaler.
import { decide, DEFAULT_BOUNDS, type PolicyState, type ScalingBounds } from './policy.ts';
import { BASELINES, fitForecaster, type Forecaster } from './selector.ts';
import { quantile } from './series.ts';
import { HPA_DEFAULTS, simulate, type SimOptions, type SimResult } from './simulator.ts';

export const SELECTOR = 'selector';

export interface BacktestOptions {
  /** Horizons in points (minutes for 1-minute traces). */
  horizons: readonly number[];
  day?: number;
  /** Test segment: the last min(testDays, testFraction of the trace). */
  testDays?: number;
  testFraction?: number;
  /** Minutes between evaluated origins. */
  originStride?: number;
  /** Seconds between points (60 for 1-minute traces): simulator times are converted with it. */
  stepSeconds?: number;
  /** Pod start-up + readiness in points (default: 3 minutes' worth). */
  startup?: number;
  quantile?: number;
  /** 1 where the trace had a sample; filled-in points are never scored as actuals. */
  observed?: Uint8Array;
}

export interface HorizonScore {
  horizon: number;
  /** WAPE per model name, plus "selector" and the baselines. */
  wape: Record<string, number>;
  /** Models the selector used at this horizon across refits. */
  chosen: string[];
}

export interface BacktestResult {
  points: number;
  testFrom: number;
  origins: number;
  period: number;
  horizons: HorizonScore[];
  /** Simulator results in minutes (over-capacity minutes, replica-minutes) whatever the step. */
  simulation: { capacity: number; startupMinutes: number; leadTimeMinutes: number; reactive: SimResult; predictive: SimResult };
}

// Per model: summed |error| and summed |actual| per horizon (models that only apply after a later
// refit are scored over the origins they forecast).
type Acc = Map<string, { err: Float64Array; tot: Float64Array }>;

function accumulate(acc: Acc, name: string, hi: number, pair: { predicted: number; actual: number }): void {
  let a = acc.get(name);
  if (!a) { a = { err: new Float64Array(8), tot: new Float64Array(8) }; acc.set(name, a); }
  a.err[hi]! += Math.abs(pair.actual - pair.predicted);
  a.tot[hi]! += Math.abs(pair.actual);
}

function resolve(n: number, opts: BacktestOptions) {
  const day = opts.day ?? 1440;
  const hs = [...opts.horizons];
  if (hs.length === 0 || hs.length > 8) throw new RangeError('backtest: between 1 and 8 horizons');
  const testLen = Math.min((opts.testDays ?? 3) * day, Math.floor(n * (opts.testFraction ?? 0.3)));
  const step = opts.stepSeconds ?? 60;
  const pts = (seconds: number): number => Math.max(1, Math.round(seconds / step));
  const clock: SimClock = { step, startup: opts.startup ?? pts(180), metricDelay: pts(60), stabilization: pts(300), cooldown: pts(15 * 60) };
  // Lead time: pod start-up + readiness, the HPA's metric lag, and one decision interval.
  const leadTime = clock.startup + clock.metricDelay + 1;
  return { day, hs, maxH: Math.max(...hs), testFrom: n - testLen, stride: opts.originStride ?? 5, clock, leadTime, q: opts.quantile ?? 0.9 };
}

export function backtest(raw: Float64Array, opts: BacktestOptions): BacktestResult {
  const n = raw.length;
  const { day, hs, maxH, testFrom, stride, clock, leadTime, q } = resolve(n, opts);
  const fits: Forecaster[] = [];
  for (let T = testFrom; T < n; T += day) {
    fits.push(fitForecaster(raw, { horizons: hs, leadTime, day, fitEnd: T, quantile: q, fitAll: true }));
  }
  const at = (t: number): Forecaster => fits[Math.min(fits.length - 1, Math.floor((t - testFrom) / day))]!;
  const acc: Acc = new Map();
  const chosen = hs.map(() => new Set<string>());
  let origins = 0;
  for (let t = testFrom; t + maxH < n; t += stride) {
    const f = at(t);
    origins++;
    hs.forEach((h, hi) => {
      if (opts.observed && !opts.observed[t + h]) return;
      const actual = raw[t + h]!;
      accumulate(acc, SELECTOR, hi, { predicted: f.predict(t, h), actual });
      chosen[hi]!.add(f.choice.get(h)!);
      for (const [name, m] of f.models) accumulate(acc, name, hi, { predicted: m.predict(t, h), actual });
    });
  }
  const horizons = hs.map((h, hi) => ({
    horizon: h,
    wape: Object.fromEntries([...acc].map(([name, a]) => [name, a.tot[hi]! > 0 ? a.err[hi]! / a.tot[hi]! : 0])),
    chosen: [...chosen[hi]!].sort(),
  }));
  return { points: n, testFrom, origins, period: fits[0]?.ctx.period ?? 0, horizons, simulation: simulateBoth(raw, { testFrom, clock, leadTime }, at) };
}

/** Simulator timings in points of the trace's step. */
interface SimClock { step: number; startup: number; metricDelay: number; stabilization: number; cooldown: number }

function inMinutes(r: SimResult, step: number): SimResult {
  const k = step / 60;
  return { ...r, overCapacityMinutes: r.overCapacityMinutes * k, replicaMinutes: r.replicaMinutes * k, minutes: r.minutes * k };
}

function simulateBoth(raw: Float64Array, w: { testFrom: number; clock: SimClock; leadTime: number }, at: (t: number) => Forecaster): BacktestResult['simulation'] {
  const { testFrom, clock } = w;
  // Size pods from history only (not the test segment): the p99 load needs about ten pods at 100%.
  const capacity = Math.max(quantile(raw.subarray(0, testFrom), 0.99) / 10, 1e-9);
  const sim: SimOptions = {
    ...HPA_DEFAULTS, capacity, startup: clock.startup, metricDelay: clock.metricDelay, downStabilization: clock.stabilization, minReplicas: 1, maxReplicas: 10_000,
  };
  // The policy's clock is the point index here, so its cool-down is given in points too.
  const bounds: ScalingBounds = { ...DEFAULT_BOUNDS, cooldownMinutes: clock.cooldown, floor: 1, ceiling: 10_000, capacityPerPod: capacity };
  const reactive = simulate(raw, testFrom, raw.length, sim);
  let state: PolicyState = { current: 1, lastNeededAt: testFrom };
  const predictive = simulate(raw, testFrom, raw.length, sim, (t) => {
    const d = decide(at(t).window(t).upper, state, t, bounds);
    state = d.state;
    return d.minReplicas;
  });
  const minutes = (points: number): number => (points * clock.step) / 60;
  return {
    capacity, startupMinutes: minutes(clock.startup), leadTimeMinutes: minutes(w.leadTime),
    reactive: inMinutes(reactive, clock.step), predictive: inMinutes(predictive, clock.step),
  };
}

export { BASELINES };
