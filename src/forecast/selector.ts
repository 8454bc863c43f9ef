// Per-series model choice by rolling-origin backtest over the most recent history, and a calibrated
// upper bound of the load over [now, now + lead time] from the empirical quantile of backtest residuals.
import type { FittedModel, ModelSpec, SeriesContext } from './model.ts';
import { holtDamped, holtWinters } from './models/ets.ts';
import { lastValue, recentMean, sameTimeYesterday, seasonalNaive, seasonalNaiveLevel } from './models/naive.ts';
import { ridge } from './models/ridge.ts';
import { detectSeason } from './seasonality.ts';
import { clipOutliers, prefixSums, quantile } from './series.ts';

export const BASELINES: readonly ModelSpec[] = [lastValue, sameTimeYesterday];
export const CANDIDATES: readonly ModelSpec[] = [recentMean, seasonalNaive, seasonalNaiveLevel, holtDamped, holtWinters, ridge];
export const ENSEMBLE = 'ensemble';
const ENSEMBLE_SIZE = 4;

export interface ForecasterOptions {
  /** Horizons (points) to report point forecasts for, e.g. [5, 15, 30]. */
  horizons: readonly number[];
  /** Lead time in points: pod start-up + readiness + HPA sync (+ the scaler's own interval). */
  leadTime: number;
  /** Quantile of backtest residuals added to the window forecast, e.g. 0.95. */
  quantile?: number;
  /** Points per day (1440 at 1-minute steps). */
  day?: number;
  /** Fit only on data before this index (backtests); defaults to the whole series. */
  fitEnd?: number;
  /** Points of most recent history used to choose (default two days, at most a quarter of the series). */
  validationPoints?: number;
  /** Refit every candidate on the full history (reports need them all); live use refits only the chosen. */
  fitAll?: boolean;
  /** Candidate models besides the baselines (defaults to CANDIDATES). */
  candidates?: readonly ModelSpec[];
}

export interface Forecaster {
  ctx: SeriesContext;
  fitEnd: number;
  /** Chosen model per horizon (points). */
  choice: Map<number, string>;
  /** Validation WAPE per model name per horizon, from the rolling backtest used to choose. */
  validation: Map<string, Map<number, number>>;
  /** Residual quantile added to the window maximum forecast. */
  windowMargin: number;
  /** Point forecast of y[t+h] from origin t by the chosen model (nearest fitted horizon). */
  predict(t: number, h: number): number;
  /** Forecast of max(y[t+1..t+lead]), without and with the residual margin. */
  window(t: number): { point: number; upper: number };
  /** Every fitted model (candidates and baselines), for reports. */
  models: Map<string, FittedModel>;
}

/** Horizons the window bound is built from: 1, the middle and the lead time itself. */
export function windowHorizons(lead: number): number[] {
  return [...new Set([1, Math.round(lead / 2), lead].filter((h) => h >= 1))].sort((a, b) => a - b);
}

export function prepare(raw: Float64Array, day: number, fitEnd: number): SeriesContext {
  const y = clipOutliers(raw).values;
  const season = detectSeason(y, fitEnd, [day, 7 * day]);
  return { raw, y, p: prefixSums(y), period: season.period, day };
}

interface Validation { origins: number[]; preds: Map<string, Map<number, Float64Array>>; }

function validate(ctx: SeriesContext, models: FittedModel[], from: number, to: number, hs: readonly number[]): Validation {
  const maxH = Math.max(...hs);
  const origins: number[] = [];
  for (let t = from; t + maxH < to; t += 4) origins.push(t);
  const preds = new Map<string, Map<number, Float64Array>>();
  for (const m of models) {
    const byH = new Map<number, Float64Array>();
    for (const h of hs) byH.set(h, Float64Array.from(origins, (t) => m.predict(t, h)));
    preds.set(m.name, byH);
  }
  return { origins, preds };
}

function wape(ctx: SeriesContext, origins: number[], h: number, pred: Float64Array): number {
  let err = 0, tot = 0;
  for (let i = 0; i < origins.length; i++) {
    const a = ctx.raw[origins[i]! + h]!;
    err += Math.abs(a - pred[i]!);
    tot += Math.abs(a);
  }
  return tot > 0 ? err / tot : err > 0 ? Infinity : 0;
}

function ensembleMembers(scores: Map<string, Map<number, number>>, names: string[], h: number): string[] {
  return [...names].sort((a, b) => scores.get(a)!.get(h)! - scores.get(b)!.get(h)!).slice(0, ENSEMBLE_SIZE);
}

function meanOf(models: FittedModel[]): FittedModel {
  return { name: ENSEMBLE, predict: (t, h) => models.reduce((s, m) => s + m.predict(t, h), 0) / models.length };
}

/** Fits the candidates, scores them on the two days before fitEnd, and returns the chosen forecaster. */
export function fitForecaster(raw: Float64Array, opts: ForecasterOptions): Forecaster {
  const day = opts.day ?? 1440;
  const T = opts.fitEnd ?? raw.length;
  const ctx = prepare(raw, day, T);
  const wh = windowHorizons(opts.leadTime);
  const hs = [...new Set([...opts.horizons, ...wh])].sort((a, b) => a - b);
  // Baselines are candidates too: on some series (cron-like spikes, random walks) nothing beats them.
  const specs = [...BASELINES, ...(opts.candidates ?? CANDIDATES)].filter((s) => s.applicable(ctx, T));
  const V = Math.min(opts.validationPoints ?? 2 * day, Math.floor(T * 0.25));
  const valFits = specs.filter((s) => s.applicable(ctx, T - V)).map((s) => s.fit(ctx, T - V, hs));
  const val = validate(ctx, valFits, T - V, T, hs);
  const names = valFits.map((m) => m.name);
  const scores = new Map<string, Map<number, number>>();
  for (const n of names) scores.set(n, new Map(hs.map((h) => [h, wape(ctx, val.origins, h, val.preds.get(n)!.get(h)!)])));
  // The ensemble is scored like any model: mean of the best few at that horizon.
  const ens = new Map<number, number>();
  const ensPreds = new Map<number, Float64Array>();
  for (const h of hs) {
    const members = ensembleMembers(scores, names, h);
    const p = Float64Array.from(val.origins, (_, i) => members.reduce((s, n) => s + val.preds.get(n)!.get(h)![i]!, 0) / members.length);
    ensPreds.set(h, p);
    ens.set(h, wape(ctx, val.origins, h, p));
  }
  if (names.length > 1) { scores.set(ENSEMBLE, ens); val.preds.set(ENSEMBLE, ensPreds); }
  const choice = new Map<number, string>();
  for (const h of hs) {
    let best = names[0] ?? 'recent_mean';
    for (const [n, s] of scores) if (s.get(h)! < scores.get(best)!.get(h)!) best = n;
    choice.set(h, best);
  }
  const windowMargin = residualMargin(ctx, val, choice, wh, opts);
  return assemble({ ctx, T, hs, specs, scores, choice, windowMargin }, opts);
}

// Residuals of the window maximum: actual max over (t, t+lead] minus the forecast max, as the chosen
// models would have produced them in validation. Their q-quantile is the margin of the upper bound.
function residualMargin(ctx: SeriesContext, val: Validation, choice: Map<number, string>, wh: number[], opts: ForecasterOptions): number {
  const lead = opts.leadTime;
  const res = new Float64Array(val.origins.length);
  for (let i = 0; i < val.origins.length; i++) {
    const t = val.origins[i]!;
    let fc = -Infinity;
    for (const h of wh) fc = Math.max(fc, val.preds.get(choice.get(h)!)?.get(h)?.[i] ?? ctx.y[t]!);
    let act = -Infinity;
    for (let k = 1; k <= lead; k++) act = Math.max(act, ctx.raw[t + k]!);
    res[i] = act - fc;
  }
  return Math.max(0, quantile(res, opts.quantile ?? 0.95));
}

interface Chosen {
  ctx: SeriesContext; T: number; hs: number[]; specs: readonly ModelSpec[];
  scores: Map<string, Map<number, number>>; choice: Map<number, string>; windowMargin: number;
}

function assemble(c: Chosen, opts: ForecasterOptions): Forecaster {
  const { ctx, T, hs, specs, scores, choice, windowMargin } = c;
  const scored = [...scores.keys()].filter((n) => n !== ENSEMBLE);
  const members = new Map(hs.map((h) => [h, ensembleMembers(scores, scored, h)]));
  const needed = new Set<string>(['last_value', ...choice.values()]);
  if ([...choice.values()].includes(ENSEMBLE)) for (const m of members.values()) for (const n of m) needed.add(n);
  const models = new Map<string, FittedModel>();
  for (const s of specs) if ((opts.fitAll || needed.has(s.name)) && s.applicable(ctx, T)) models.set(s.name, s.fit(ctx, T, hs));
  const ensembles = new Map<number, FittedModel>();
  for (const h of hs) ensembles.set(h, meanOf(members.get(h)!.filter((n) => models.has(n)).map((n) => models.get(n)!)));
  const pick = (h: number): FittedModel => {
    const name = choice.get(h) ?? choice.get(nearest(hs, h))!;
    return name === ENSEMBLE ? ensembles.get(nearest(hs, h))! : models.get(name) ?? models.get('last_value')!;
  };
  const wh = windowHorizons(opts.leadTime);
  const predict = (t: number, h: number): number => pick(h).predict(t, h);
  return {
    ctx, fitEnd: T, choice, validation: scores, windowMargin, models, predict,
    window(t) {
      let point = -Infinity;
      for (const h of wh) point = Math.max(point, predict(t, h));
      return { point, upper: point + windowMargin };
    },
  };
}

function nearest(hs: readonly number[], h: number): number {
  let best = hs[0]!;
  for (const x of hs) if (Math.abs(x - h) < Math.abs(best - h)) best = x;
  return best;
}
