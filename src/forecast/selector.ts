// Per-series model choice by rolling-origin validation over the series' own recent history, and an upper
// bound of the load over (now, now + lead time] calibrated on the same validation (split-conformal style:
// the q-quantile of the window-maximum residuals, absolute or scaled by the local volatility).
// Shared hyper-parameters (ensemble size, margin mode) are a SelectorConfig; the leave-traces-out
// evaluation (evaluation.ts) chooses among SELECTOR_CONFIGS on other traces than it reports on.
import { fitCandidates, SIMPLE_BASELINES, windowResiduals, wapeAt, type CandidateOptions, type CandidateSet } from './candidates.ts';
import type { FittedModel, ModelSpec, SeriesContext } from './model.ts';
import { simulatePolicy } from './capacity.ts';
import type { ScalingBounds } from './policy.ts';
import { localScale, quantile } from './series.ts';
import type { SimOptions, SimResult } from './simulator.ts';

export { prepare, windowHorizons, SIMPLE_BASELINES, MODELS, ALL_CANDIDATES } from './candidates.ts';
export const ENSEMBLE = 'ensemble';

export interface SelectorConfig {
  readonly name: string;
  /** The ensemble candidate is the mean of the best `ensembleSize` models at a horizon; < 2 disables it. */
  readonly ensembleSize: number;
  /** "absolute": margin = q-quantile of residuals; "scaled": residuals ÷ local scale, re-scaled at each origin. */
  readonly margin: 'absolute' | 'scaled';
  /**
   * How the ensemble combines its members: "mean" (equal weights) or "convex" (per horizon, the convex
   * weights on a 0.1 grid with the lowest WAPE over the series' own validation origins). Default "mean".
   */
  readonly combine?: 'mean' | 'convex';
}

export const SELECTOR_CONFIGS: readonly SelectorConfig[] = [
  { name: 'single/absolute', ensembleSize: 0, margin: 'absolute' },
  { name: 'single/scaled', ensembleSize: 0, margin: 'scaled' },
  { name: 'ens3/absolute', ensembleSize: 3, margin: 'absolute' },
  { name: 'ens3/scaled', ensembleSize: 3, margin: 'scaled' },
  { name: 'ens5/absolute', ensembleSize: 5, margin: 'absolute' },
  { name: 'ens5/scaled', ensembleSize: 5, margin: 'scaled' },
  { name: 'cvx3/absolute', ensembleSize: 3, margin: 'absolute', combine: 'convex' },
  { name: 'cvx3/scaled', ensembleSize: 3, margin: 'scaled', combine: 'convex' },
];

/** What a single trace (CLI, live pre-scaler) uses: the config all development traces together choose (bench prints it as config_on_all_traces). */
export const DEFAULT_CONFIG: SelectorConfig = SELECTOR_CONFIGS[7]!;

export interface ForecasterOptions extends CandidateOptions {
  /** Quantile of the upper bound, e.g. 0.9. */
  quantile?: number;
  config?: SelectorConfig;
  /** Choose only among these model names (e.g. the simple baselines). */
  allowed?: readonly string[];
  /** Refit every candidate on the full history (reports need them all); live use refits only the chosen. */
  fitAll?: boolean;
}

export interface Forecaster {
  ctx: SeriesContext;
  fitEnd: number;
  config: SelectorConfig;
  /** Chosen model per horizon (points): a model name or "ensemble". */
  choice: Map<number, string>;
  /** Ensemble members per horizon (by validation WAPE). */
  members: Map<number, string[]>;
  /** Validation WAPE per model name per horizon. */
  validation: Map<string, Map<number, number>>;
  /** Margin added to the window forecast at the last origin of the history (absolute units). */
  windowMargin: number;
  /** Point forecast of y[t+h] from origin t by the chosen model (nearest fitted horizon). */
  predict(t: number, h: number): number;
  /** Forecast of max(y[t+1..t+lead]), without and with the residual margin. */
  window(t: number): { point: number; upper: number };
  /** The upper bound of the same window at another quantile (margin from the same validation residuals). */
  upperAt(t: number, q: number): number;
  /**
   * The bound quantile for a pre-scaler that prices one window the reactive HPA alone would leave short
   * at `price` (in windows of capacity equal to the actual peak), chosen on this series' validation
   * origins (its own past): among `quantiles`, the lowest of extra + price × missed, where extra is the
   * capacity the bound asks beyond the HPA's (load ÷ target utilisation) relative to the actual window
   * peaks, and missed the share of windows whose peak exceeds both.
   */
  quantileFor(price: number, target: number, quantiles: readonly number[]): number;
  /**
   * The bound quantile chosen by replaying this series' validation window (its own past) through the
   * capacity simulator with the policy `bounds`: among `quantiles`, the fewest replica-minutes + price ×
   * over-capacity minutes. The bound at each minute is the one decided at the latest validation origin
   * (every 4 points); the margins are those of the same validation residuals.
   */
  quantileBySim(price: number, sim: SimOptions, bounds: ScalingBounds, quantiles: readonly number[]): number;
  /** Fitted models used (and with fitAll every candidate), for reports. */
  models: Map<string, FittedModel>;
}

function nearest(hs: readonly number[], h: number): number {
  let best = hs[0]!;
  for (const x of hs) if (Math.abs(x - h) < Math.abs(best - h)) best = x;
  return best;
}

function rank(set: CandidateSet, names: readonly string[], h: number): string[] {
  return [...names].sort((a, b) => set.scores.get(a)!.get(h)! - set.scores.get(b)!.get(h)!);
}

interface Choice { choice: Map<number, string>; members: Map<number, string[]>; weights: Map<number, number[]>; scores: Map<string, Map<number, number>>; preds: (name: string, h: number) => Float64Array }

function choose(set: CandidateSet, names: readonly string[], config: SelectorConfig): Choice {
  const scores = new Map([...set.scores].filter(([n]) => names.includes(n)));
  const members = new Map<number, string[]>();
  const ensPreds = new Map<number, Float64Array>();
  const useEnsemble = config.ensembleSize >= 2 && names.length > config.ensembleSize;
  const ens = new Map<number, number>();
  const weights = new Map<number, number[]>();
  for (const h of set.hs) {
    const m = rank(set, names, h).slice(0, Math.max(1, config.ensembleSize));
    members.set(h, m);
    if (!useEnsemble) continue;
    const cols = m.map((n) => set.preds.get(n)!.get(h)!);
    const w = config.combine === 'convex' ? convexWeights(set.ctx.raw, set.origins, h, cols) : m.map(() => 1 / m.length);
    weights.set(h, w);
    const p = Float64Array.from(set.origins, (_, i) => cols.reduce((s, c, k) => s + w[k]! * c[i]!, 0));
    ensPreds.set(h, p);
    ens.set(h, wapeAt(set.ctx.raw, set.origins, h, p));
  }
  if (useEnsemble) scores.set(ENSEMBLE, ens);
  const choice = new Map<number, string>();
  for (const h of set.hs) {
    let best = names[0] ?? 'last_value';
    for (const [n, s] of scores) if (s.get(h)! < (scores.get(best)?.get(h) ?? Infinity)) best = n;
    choice.set(h, best);
  }
  const preds = (name: string, h: number): Float64Array => (name === ENSEMBLE ? ensPreds.get(h)! : set.preds.get(name)!.get(h)!);
  return { choice, members, weights, scores, preds };
}

/**
 * Convex weights (a 0.1 grid over the simplex) of the member forecasts with the lowest WAPE at horizon h
 * over the validation origins: uses only the series' own past (the validation window precedes the fit end).
 */
export function convexWeights(raw: Float64Array, origins: readonly number[], h: number, cols: readonly Float64Array[]): number[] {
  const k = cols.length;
  const steps = 10;
  let best = cols.map(() => 1 / k), bestErr = Infinity;
  const w = new Array<number>(k).fill(0);
  const tmp = new Float64Array(origins.length);
  const visit = (j: number, left: number): void => {
    if (j === k - 1) {
      w[j] = left / steps;
      for (let i = 0; i < tmp.length; i++) { let s = 0; for (let c = 0; c < k; c++) s += w[c]! * cols[c]![i]!; tmp[i] = s; }
      const e = wapeAt(raw, origins, h, tmp);
      if (e < bestErr - 1e-12) { bestErr = e; best = [...w]; }
      return;
    }
    for (let a = left; a >= 0; a--) { w[j] = a / steps; visit(j + 1, left - a); }
  };
  if (k > 0) visit(0, steps);
  return best;
}

/** Margin of the window bound from the validation residuals of the given window forecast. */
export function marginOf(set: CandidateSet, point: Float64Array, mode: SelectorConfig['margin'], q: number): number {
  const r = windowResiduals(set, point);
  return quantile(mode === 'absolute' ? r.abs : r.scaled, q);
}

/** Window forecast (max over the window horizons) at the validation origins for a per-horizon choice. */
export function validationWindow(set: CandidateSet, pick: (h: number) => Float64Array): Float64Array {
  const out = new Float64Array(set.origins.length).fill(-Infinity);
  for (const h of set.wh) {
    const p = pick(h);
    for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i]!, p[i]!);
  }
  return out;
}

/**
 * An upper bound over the lead-time window for a point window forecast and a margin in the given mode.
 * It never exceeds the highest load of the last week unless the point forecast itself does: a margin
 * scaled by a volatile stretch (bursty series) would otherwise ask for far more pods than ever needed.
 */
export function upperOf(ctx: SeriesContext, t: number, point: number, margin: number, mode: SelectorConfig['margin']): number {
  const u = point + (mode === 'absolute' ? margin : margin * localScale(ctx.p, ctx.p2, t));
  const cap = t >= 0 && t < ctx.recentMax.length ? Math.max(point, ctx.recentMax[t]!) : Infinity;
  return Math.min(u, cap);
}

function neededModels(set: CandidateSet, c: Choice, all: boolean): Set<string> {
  const needed = new Set<string>(['last_value']);
  for (const h of set.hs) {
    const name = c.choice.get(h)!;
    if (name === ENSEMBLE) for (const m of c.members.get(h)!) needed.add(m); else needed.add(name);
  }
  if (all) for (const n of set.names) needed.add(n);
  return needed;
}

/** Builds the forecaster of one config from a fitted candidate set. */
export function chooseForecaster(set: CandidateSet, opts: { config?: SelectorConfig; quantile?: number; allowed?: readonly string[]; fitAll?: boolean } = {}): Forecaster {
  const config = opts.config ?? DEFAULT_CONFIG;
  const q = opts.quantile ?? 0.9;
  const names = set.names.filter((n) => !opts.allowed || opts.allowed.includes(n));
  const c = choose(set, names, config);
  const valWindow = validationWindow(set, (h) => c.preds(c.choice.get(h)!, h));
  const margin = marginOf(set, valWindow, config.margin, q);
  const margins = new Map<number, number>([[q, margin]]);
  const marginAt = (qq: number): number => {
    let m = margins.get(qq);
    if (m === undefined) { m = marginOf(set, valWindow, config.margin, qq); margins.set(qq, m); }
    return m;
  };
  const needed = neededModels(set, c, opts.fitAll === true);
  const models = new Map<string, FittedModel>();
  for (const n of needed) { const m = set.model(n); if (m) models.set(n, m); }
  const ensembles = new Map<number, FittedModel>();
  for (const h of set.hs) {
    const mem = c.members.get(h)!;
    const w = c.weights.get(h) ?? mem.map(() => 1 / mem.length);
    const ms = mem.map((n, k) => ({ m: models.get(n), w: w[k]! })).filter((x): x is { m: FittedModel; w: number } => x.m !== undefined && x.w > 0);
    const tw = ms.reduce((s, x) => s + x.w, 0);
    ensembles.set(h, { name: ENSEMBLE, predict: (t, hh) => ms.reduce((s, x) => s + x.w * x.m.predict(t, hh), 0) / tw });
  }
  const pick = (h: number): FittedModel => {
    const hh = c.choice.has(h) ? h : nearest(set.hs, h);
    const name = c.choice.get(hh)!;
    return name === ENSEMBLE ? ensembles.get(hh)! : models.get(name) ?? models.get('last_value')!;
  };
  const predict = (t: number, h: number): number => pick(h).predict(t, h);
  const pointAt = (t: number): number => {
    let point = -Infinity;
    for (const h of set.wh) point = Math.max(point, predict(t, h));
    return point;
  };
  const window = (t: number): { point: number; upper: number } => {
    const point = pointAt(t);
    return { point, upper: upperOf(set.ctx, t, point, margin, config.margin) };
  };
  const upperAt = (t: number, qq: number): number => upperOf(set.ctx, t, pointAt(t), marginAt(qq), config.margin);
  const resid = windowResiduals(set, valWindow).abs;
  const chosenQ = new Map<string, number>();
  const quantileFor = (price: number, target: number, quantiles: readonly number[]): number => {
    const key = `${price}|${target}|${quantiles.join()}`;
    const pt = valWindow;
    const hit = chosenQ.get(key);
    if (hit !== undefined) return hit;
    let best = quantiles[quantiles.length - 1]!, bestScore = Infinity;
    for (const qq of quantiles) {
      const m = marginAt(qq);
      let extra = 0, missed = 0, peaks = 0;
      for (let i = 0; i < set.origins.length; i++) {
        const t = set.origins[i]!;
        const actual = pt[i]! + resid[i]!;
        const hpa = set.ctx.raw[t]! / target;
        const u = upperOf(set.ctx, t, pt[i]!, m, config.margin);
        extra += Math.max(0, u - hpa);
        peaks += Math.abs(actual);
        if (actual > Math.max(u, hpa)) missed++;
      }
      const n = Math.max(1, set.origins.length);
      const score = (peaks > 0 ? extra / peaks : 0) + price * (missed / n);
      if (score < bestScore - 1e-12) { bestScore = score; best = qq; }
    }
    chosenQ.set(key, best);
    return best;
  };
  const replays = new Map<string, SimResult>();
  const replay = (qq: number, sim: SimOptions, bounds: ScalingBounds): SimResult | undefined => {
    const o = set.origins;
    if (o.length < 2) return undefined;
    const key = `${qq}|${sim.capacity}|${sim.startup}|${bounds.cooldownMinutes}|${bounds.hysteresis}`;
    let r = replays.get(key);
    if (!r) {
      const stride = o[1]! - o[0]!;
      const m = marginAt(qq);
      const ups = Float64Array.from(o, (t, i) => upperOf(set.ctx, t, valWindow[i]!, m, config.margin));
      r = simulatePolicy(set.ctx.raw, [o[0]!, o[o.length - 1]! + stride], sim, bounds, (t) => ups[Math.min(o.length - 1, Math.floor((t - o[0]!) / stride))]!);
      replays.set(key, r);
    }
    return r;
  };
  const quantileBySim = (price: number, sim: SimOptions, bounds: ScalingBounds, quantiles: readonly number[]): number => {
    let best = quantiles[quantiles.length - 1]!, bestScore = Infinity;
    for (const qq of quantiles) {
      const r = replay(qq, sim, bounds);
      if (!r) return best;
      const score = r.replicaMinutes + price * r.overCapacityMinutes;
      if (score < bestScore - 1e-9) { bestScore = score; best = qq; }
    }
    return best;
  };
  const last = set.T - 1;
  return {
    ctx: set.ctx, fitEnd: set.T, config, choice: c.choice, members: c.members, validation: c.scores, models, predict, window, upperAt, quantileFor, quantileBySim,
    windowMargin: config.margin === 'absolute' ? margin : margin * localScale(set.ctx.p, set.ctx.p2, last),
  };
}

/** Fits the candidates, validates them on the recent history and returns the chosen forecaster. */
export function fitForecaster(raw: Float64Array, opts: ForecasterOptions): Forecaster {
  return chooseForecaster(fitCandidates(raw, opts), opts);
}

/** Names of the simple baselines. */
export const BASELINE_NAMES: readonly string[] = SIMPLE_BASELINES.map((s) => s.name);
export const BASELINES: readonly ModelSpec[] = SIMPLE_BASELINES;
