// Rolling-origin evaluation of one trace (pure). The forecaster is refitted once per simulated day on
// everything before that day (its own choices use only that past); forecasts are made from an origin every
// few minutes over the test segment and scored per day, so gains can be bootstrapped over days. Every
// SelectorConfig is derived from the same fitted candidates, so the leave-traces-out evaluation can pick a
// config on other traces without refitting. The capacity simulator replays the segment for reactive HPA,
// the pre-scaler (each config's upper bound) and a schedule-only baseline (same time yesterday).
import { ALL_CANDIDATES, fitCandidates, SIMPLE_BASELINES, type CandidateSet } from './candidates.ts';
import { capacityRule, POLICY_QUANTILES, simBounds, simOptions, simulateStrategies, type PrescalePolicy, type SimulationReport } from './capacity.ts';
import { HPA_DEFAULTS } from './simulator.ts';
import type { FittedModel } from './model.ts';
import { chooseForecaster, marginOf, SELECTOR_CONFIGS, upperOf, validationWindow, type Forecaster, type SelectorConfig } from './selector.ts';

export const SIMPLE_SELECTOR = 'simple_selector';
export const selectorName = (c: SelectorConfig): string => `selector:${c.name}`;

export interface BacktestOptions {
  /** Horizons in points. */
  horizons: readonly number[];
  /** Points per day. */
  day?: number;
  /** Seconds between points: horizons and simulator figures are reported in minutes with it. */
  stepSeconds?: number;
  /** Test segment: the last min(testDays, testFraction of the trace). */
  testDays?: number;
  testFraction?: number;
  /** Minutes between evaluated origins. */
  originMinutes?: number;
  /** Pod start-up + readiness in points (default: 3 minutes' worth). */
  startup?: number;
  quantile?: number;
  /** 1 where the trace had a sample; filled-in points are never scored as actuals. */
  observed?: Uint8Array;
  /** Load one pod serves at 100% (policy capacityPerPod); default: capacityRule on the history. */
  capacity?: number;
  configs?: readonly SelectorConfig[];
  /** Pre-scale policies the simulator runs for each config (default PRESCALE_POLICIES). */
  policies?: readonly PrescalePolicy[];
}

/** Sum of |error| per horizon index per test day, and the windows' quantile scores. */
export interface Scores {
  /** [horizon][day] sum of |actual − forecast|. */
  err: number[][];
  /** Upper-bound scores over the lead-time window: windows, covered, summed pinball loss. */
  windows: number;
  covered: number;
  pinball: number;
}

export interface BacktestResult {
  points: number;
  stepSeconds: number;
  testFrom: number;
  testDays: number;
  origins: number;
  /** Detected season at the first refit (points; 0 = none). */
  period: number;
  horizons: Array<{ points: number; minutes: number }>;
  /** [horizon][day] sum of |actual|. */
  actual: number[][];
  /** Sum of the actual window maxima (scales pinball loss like WAPE). */
  actualMaxSum: number;
  quantile: number;
  /** Per model, simple selector and selector config. Models' bounds use both margin modes: "name@absolute". */
  scores: Record<string, Scores>;
  /** Per config name: per horizon index, how often each name was chosen (refits) and each model was an ensemble member. */
  chosen: Record<string, Array<{ chosen: Record<string, number>; members: Record<string, number> }>>;
  refits: number;
  simulation: SimulationReport;
}

interface Plan { day: number; hs: number[]; maxH: number; testFrom: number; testDays: number; stride: number; startup: number; leadTime: number; q: number; step: number }

function plan(n: number, opts: BacktestOptions): Plan {
  const day = opts.day ?? 1440;
  const hs = [...opts.horizons];
  if (hs.length === 0 || hs.length > 8) throw new RangeError('backtest: between 1 and 8 horizons');
  const step = opts.stepSeconds ?? 60;
  const pts = (seconds: number): number => Math.max(1, Math.round(seconds / step));
  const testLen = Math.min((opts.testDays ?? 7) * day, Math.floor(n * (opts.testFraction ?? 0.5)));
  const startup = opts.startup ?? pts(180);
  // Lead time: pod start-up + readiness, the HPA's metric lag (one minute), and one decision interval.
  const leadTime = startup + pts(60) + 1;
  return {
    day, hs, maxH: Math.max(...hs, leadTime), testFrom: n - testLen, testDays: Math.ceil(testLen / day), stride: pts(60 * (opts.originMinutes ?? 5)),
    startup, leadTime, q: opts.quantile ?? 0.9, step,
  };
}

const zeros = (rows: number, cols: number): number[][] => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));

interface Bound { upper(t: number): number }

/** The refit of one day: the candidate set, each config's forecaster, and every model's window bound. */
interface Refit { set: CandidateSet; byConfig: Map<string, Forecaster>; simple: Forecaster; bounds: Map<string, Bound> }

// Every candidate is scored at every origin: one that does not apply at a refit (too little history, no
// season) counts as the last value there, so a model that only runs on easy days cannot look better.
const MODEL_NAMES = ALL_CANDIDATES.map((s) => s.name);

function modelOf(set: CandidateSet, name: string): { name: string; model: FittedModel } {
  const ok = set.names.includes(name) ? set.model(name) : undefined;
  return ok ? { name, model: ok } : { name: 'last_value', model: set.model('last_value')! };
}

function modelBounds(set: CandidateSet, q: number): Map<string, Bound> {
  const out = new Map<string, Bound>();
  for (const wanted of MODEL_NAMES) {
    const { name, model: m } = modelOf(set, wanted);
    const point = validationWindow(set, (h) => set.preds.get(name)!.get(h)!);
    for (const mode of ['absolute', 'scaled'] as const) {
      const margin = marginOf(set, point, mode, q);
      out.set(`${wanted}@${mode}`, {
        upper: (t) => { let p = -Infinity; for (const h of set.wh) p = Math.max(p, m.predict(t, h)); return upperOf(set.ctx, t, p, margin, mode); },
      });
    }
  }
  return out;
}

function refit(raw: Float64Array, T: number, p: Plan, configs: readonly SelectorConfig[]): Refit {
  const set = fitCandidates(raw, { horizons: p.hs, leadTime: p.leadTime, day: p.day, fitEnd: T });
  const byConfig = new Map(configs.map((c) => [c.name, chooseForecaster(set, { config: c, quantile: p.q, fitAll: true })]));
  const simple = chooseForecaster(set, { config: { name: 'simple', ensembleSize: 0, margin: 'absolute' }, quantile: p.q, allowed: SIMPLE_BASELINES.map((s) => s.name) });
  const bounds = modelBounds(set, p.q);
  for (const c of configs) bounds.set(selectorName(c), { upper: (t) => byConfig.get(c.name)!.window(t).upper });
  bounds.set(SIMPLE_SELECTOR, { upper: (t) => simple.window(t).upper });
  return { set, byConfig, simple, bounds };
}

function scoreOf(r: BacktestResult, name: string): Scores {
  let s = r.scores[name];
  if (!s) { s = { err: zeros(r.horizons.length, r.testDays), windows: 0, covered: 0, pinball: 0 }; r.scores[name] = s; }
  return s;
}

function countChoices(r: BacktestResult, f: Refit, configs: readonly SelectorConfig[], hs: number[]): void {
  for (const c of configs) {
    const fc = f.byConfig.get(c.name)!;
    const rows = (r.chosen[c.name] ??= hs.map(() => ({ chosen: {}, members: {} })));
    hs.forEach((h, hi) => {
      const name = fc.choice.get(h)!;
      rows[hi]!.chosen[name] = (rows[hi]!.chosen[name] ?? 0) + 1;
      if (name === 'ensemble') for (const m of fc.members.get(h)!) rows[hi]!.members[m] = (rows[hi]!.members[m] ?? 0) + 1;
    });
  }
}

function scoreOrigin(r: BacktestResult, f: Refit, o: { t: number; d: number; raw: Float64Array; p: Plan; observed?: Uint8Array; configs: readonly SelectorConfig[] }): void {
  const { t, d, raw, p } = o;
  p.hs.forEach((h, hi) => {
    if (o.observed && !o.observed[t + h]) return;
    const actual = raw[t + h]!;
    r.actual[hi]![d]! += Math.abs(actual);
    for (const name of MODEL_NAMES) scoreOf(r, name).err[hi]![d]! += Math.abs(actual - modelOf(f.set, name).model.predict(t, h));
    for (const c of o.configs) scoreOf(r, selectorName(c)).err[hi]![d]! += Math.abs(actual - f.byConfig.get(c.name)!.predict(t, h));
    scoreOf(r, SIMPLE_SELECTOR).err[hi]![d]! += Math.abs(actual - f.simple.predict(t, h));
  });
  let max = -Infinity;
  for (let k = 1; k <= p.leadTime; k++) max = Math.max(max, raw[t + k]!);
  r.actualMaxSum += Math.abs(max);
  for (const [name, b] of f.bounds) {
    const u = b.upper(t);
    const s = scoreOf(r, name);
    s.windows++;
    if (max <= u) s.covered++;
    s.pinball += max > u ? p.q * (max - u) : (1 - p.q) * (u - max);
  }
}

export function backtest(raw: Float64Array, opts: BacktestOptions): BacktestResult {
  const n = raw.length;
  const p = plan(n, opts);
  const configs = opts.configs ?? SELECTOR_CONFIGS;
  const fits: Refit[] = [];
  for (let T = p.testFrom; T < n; T += p.day) fits.push(refit(raw, T, p, configs));
  const at = (t: number): Refit => fits[Math.min(fits.length - 1, Math.floor((t - p.testFrom) / p.day))]!;
  const r: BacktestResult = {
    points: n, stepSeconds: p.step, testFrom: p.testFrom, testDays: p.testDays, origins: 0, period: fits[0]?.set.ctx.period ?? 0,
    horizons: p.hs.map((h) => ({ points: h, minutes: (h * p.step) / 60 })), actual: zeros(p.hs.length, p.testDays), actualMaxSum: 0, quantile: p.q,
    scores: {}, chosen: {}, refits: fits.length, simulation: undefined as unknown as SimulationReport,
  };
  for (const f of fits) countChoices(r, f, configs, p.hs);
  for (let t = p.testFrom; t + p.maxH < n; t += p.stride) {
    r.origins++;
    scoreOrigin(r, at(t), { t, d: Math.floor((t - p.testFrom) / p.day), raw, p, observed: opts.observed, configs });
  }
  const capacity = opts.capacity !== undefined ? { value: opts.capacity, rule: 'given (policy capacityPerPod)' } : capacityRule(raw.subarray(0, p.testFrom));
  const sim = simOptions(p.step, p.startup, capacity.value);
  // One choice per (refit, config, policy): the simulator asks every minute.
  const chosenQ = new WeakMap<Forecaster, Map<string, number>>();
  const quantileOf = (f: Forecaster, pol: PrescalePolicy): number => {
    if (pol.quantile !== undefined) return pol.quantile;
    let byPolicy = chosenQ.get(f);
    if (!byPolicy) { byPolicy = new Map(); chosenQ.set(f, byPolicy); }
    let q = byPolicy.get(pol.name);
    if (q === undefined) {
      q = pol.simPrice !== undefined
        ? f.quantileBySim(pol.simPrice, sim, simBounds(p.step, capacity.value, pol.cooldownMinutes), POLICY_QUANTILES)
        : f.quantileFor(pol.price ?? 1, HPA_DEFAULTS.target, POLICY_QUANTILES);
      byPolicy.set(pol.name, q);
    }
    return q;
  };
  r.simulation = simulateStrategies(raw, {
    testFrom: p.testFrom, step: p.step, day: p.day, startup: p.startup, leadTime: p.leadTime, capacity: capacity.value, capacityRule: capacity.rule,
    upper: Object.fromEntries(configs.map((c) => [c.name, (t: number, pol: PrescalePolicy) => {
      const f = at(t).byConfig.get(c.name)!;
      return f.upperAt(t, quantileOf(f, pol));
    }])),
    policies: opts.policies,
  });
  return r;
}
