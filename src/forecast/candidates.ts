// Fitting and validating every candidate of one series (pure). Candidates are fitted on the history
// before the validation window, scored there by rolling origin (WAPE per horizon), and refitted on the
// whole history on demand. The selector (selector.ts) then chooses among them with a SelectorConfig;
// the backtest derives every config from one CandidateSet, so configs cost no extra fits.
import type { FittedModel, ModelSpec, SeriesContext } from './model.ts';
import { holtDamped, holtWinters } from './models/ets.ts';
import { lastValue, recentMean, sameTimeYesterday, seasonalNaive, seasonalNaiveLevel } from './models/naive.ts';
import { neural } from './models/neural.ts';
import { seasonalProfile } from './models/profile.ts';
import { ridge } from './models/ridge.ts';
import { detectSeason } from './seasonality.ts';
import { clipOutliers, localScale, prefixSquares, prefixSums, runningMax } from './series.ts';

/** The five simple baselines every gain is measured against; they are candidates too. */
export const SIMPLE_BASELINES: readonly ModelSpec[] = [lastValue, sameTimeYesterday, recentMean, seasonalNaive, seasonalNaiveLevel];
/** Models beyond the simple baselines, the neural one included. */
export const MODELS: readonly ModelSpec[] = [holtDamped, holtWinters, ridge, neural, seasonalProfile];
export const ALL_CANDIDATES: readonly ModelSpec[] = [...SIMPLE_BASELINES, ...MODELS];

export interface CandidateOptions {
  /** Horizons (points) to forecast. */
  horizons: readonly number[];
  /** Lead time in points: the window (t, t + lead] the upper bound covers. */
  leadTime: number;
  /** Points per day (1440 at 1-minute steps). */
  day?: number;
  /** Fit only on data before this index; defaults to the whole series. */
  fitEnd?: number;
  /** Points of most recent history used to validate (default two days, at most a quarter of the history). */
  validationPoints?: number;
  /** Candidate models (defaults to ALL_CANDIDATES). */
  candidates?: readonly ModelSpec[];
}

export interface CandidateSet {
  ctx: SeriesContext;
  /** Fit end (exclusive) of the final models. */
  T: number;
  /** Validation window [T - V, T). */
  V: number;
  /** Every horizon fitted: the requested ones and the window's. */
  hs: number[];
  /** Horizons the window bound is built from. */
  wh: number[];
  lead: number;
  /** Validation origins and, per model and horizon, the forecasts made from them. */
  origins: number[];
  preds: Map<string, Map<number, Float64Array>>;
  /** Validation WAPE per model per horizon. */
  scores: Map<string, Map<number, number>>;
  /** Candidates validated (in order). */
  names: string[];
  /** The final (full-history) fit of a model, fitted on first use. */
  model(name: string): FittedModel | undefined;
}

/** Horizons the window bound is built from: 1, the middle and the lead time itself. */
export function windowHorizons(lead: number): number[] {
  return [...new Set([1, Math.round(lead / 2), lead].filter((h) => h >= 1))].sort((a, b) => a - b);
}

export function prepare(raw: Float64Array, day: number, fitEnd: number): SeriesContext {
  const y = clipOutliers(raw, { season: day }).values;
  const season = detectSeason(y, fitEnd, [day, 7 * day]);
  return { raw, y, p: prefixSums(y), p2: prefixSquares(y), recentMax: runningMax(raw, 7 * day), period: season.period, day };
}

function validate(models: FittedModel[], origins: number[], hs: readonly number[]): Map<string, Map<number, Float64Array>> {
  const preds = new Map<string, Map<number, Float64Array>>();
  for (const m of models) {
    const byH = new Map(hs.map((h) => [h, new Float64Array(origins.length)]));
    // Origin outer, horizon inner: multi-output models compute all horizons of an origin at once.
    for (let i = 0; i < origins.length; i++) for (const h of hs) byH.get(h)![i] = m.predict(origins[i]!, h);
    preds.set(m.name, byH);
  }
  return preds;
}

/** WAPE of forecasts made at `origins` for horizon h against the raw series. */
export function wapeAt(raw: Float64Array, origins: readonly number[], h: number, pred: Float64Array): number {
  let err = 0, tot = 0;
  for (let i = 0; i < origins.length; i++) {
    const a = raw[origins[i]! + h]!;
    err += Math.abs(a - pred[i]!);
    tot += Math.abs(a);
  }
  return tot > 0 ? err / tot : err > 0 ? Infinity : 0;
}

export function fitCandidates(raw: Float64Array, opts: CandidateOptions): CandidateSet {
  const day = opts.day ?? 1440;
  const T = opts.fitEnd ?? raw.length;
  const ctx = prepare(raw, day, T);
  const wh = windowHorizons(opts.leadTime);
  const hs = [...new Set([...opts.horizons, ...wh])].sort((a, b) => a - b);
  const specs = (opts.candidates ?? ALL_CANDIDATES).filter((s) => s.applicable(ctx, T));
  const V = Math.min(opts.validationPoints ?? 2 * day, Math.floor(T * 0.25));
  const valFits = new Map(specs.filter((s) => s.applicable(ctx, T - V)).map((s) => [s.name, s.fit(ctx, T - V, hs)]));
  const maxH = Math.max(...hs, opts.leadTime);
  const origins: number[] = [];
  for (let t = T - V; t + maxH < T; t += 4) origins.push(t);
  const preds = validate([...valFits.values()], origins, hs);
  const names = [...valFits.keys()];
  const scores = new Map(names.map((n) => [n, new Map(hs.map((h) => [h, wapeAt(raw, origins, h, preds.get(n)!.get(h)!)]))]));
  const finals = new Map<string, FittedModel>();
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  const model = (name: string): FittedModel | undefined => {
    let m = finals.get(name);
    const spec = bySpec.get(name);
    if (!m && spec) {
      m = spec.fit(ctx, T, hs, { prior: valFits.get(name) });
      finals.set(name, m);
    }
    return m;
  };
  return { ctx, T, V, hs, wh, lead: opts.leadTime, origins, preds, scores, names, model };
}

/** Residuals of the window maximum at the validation origins for a forecast of it (point per origin). */
export function windowResiduals(set: CandidateSet, point: Float64Array): { abs: Float64Array; scaled: Float64Array } {
  const { ctx, origins, lead } = set;
  const abs = new Float64Array(origins.length);
  const scaled = new Float64Array(origins.length);
  for (let i = 0; i < origins.length; i++) {
    const t = origins[i]!;
    let act = -Infinity;
    for (let k = 1; k <= lead; k++) act = Math.max(act, ctx.raw[t + k]!);
    abs[i] = act - point[i]!;
    scaled[i] = abs[i]! / localScale(ctx.p, ctx.p2, t);
  }
  return { abs, scaled };
}
