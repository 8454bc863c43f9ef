// Baselines and seasonal naive models: cheap, hard to beat at short horizons, and the yardstick.
import type { FittedModel, ModelSpec, SeriesContext } from '../model.ts';
import { trailingMean } from '../series.ts';

/** Baseline: the last observed (raw) value. */
export const lastValue: ModelSpec = {
  name: 'last_value',
  baseline: true,
  applicable: () => true,
  fit: (ctx) => ({ name: 'last_value', predict: (t) => ctx.raw[t]! }),
};

/** Baseline: the (raw) value at the same time the day before. */
export const sameTimeYesterday: ModelSpec = {
  name: 'same_time_yesterday',
  baseline: true,
  applicable: (ctx, fitEnd) => fitEnd > ctx.day,
  fit: (ctx) => ({
    name: 'same_time_yesterday',
    predict: (t, h) => {
      const i = t + h - ctx.day;
      return i >= 0 && i <= t ? ctx.raw[i]! : ctx.raw[t]!;
    },
  }),
};

const LEVEL_WINDOWS = [1, 3, 5, 10, 15, 30, 60];

// As baselines the seasonal models always run: with no season detected they use one day, so the
// strongest simple baseline is never missing from a report.
const seasonOf = (ctx: SeriesContext): number => ctx.period || ctx.day;

/** Recent level: mean of the last w points, w chosen on the fit window (a noise-robust "last value"). */
export const recentMean: ModelSpec = {
  name: 'recent_mean',
  baseline: true,
  applicable: () => true,
  fit(ctx, fitEnd, horizons) {
    const w = bestBy(LEVEL_WINDOWS, (win) => fitError(ctx, fitEnd, horizons, (t) => trailingMean(ctx.p, t, win)));
    return { name: 'recent_mean', predict: (t) => trailingMean(ctx.p, t, w) };
  },
};

/**
 * Seasonal naive scaled by the recent level: the season-ago value at the target time, shifted by how much
 * the recent level differs from the level one season ago (additive, so it is safe near zero).
 */
export const seasonalNaiveLevel: ModelSpec = {
  name: 'seasonal_naive_level',
  baseline: true,
  applicable: (ctx, fitEnd) => fitEnd > seasonOf(ctx) + ctx.day,
  fit(ctx, fitEnd, horizons) {
    const P = seasonOf(ctx);
    const make = (w: number) => (t: number, h: number): number => {
      const s = t + h - P;
      if (s - w < 0 || s > t) return trailingMean(ctx.p, t, w);
      const smooth = Math.min(w, 5);
      const seasonal = centredMean(ctx.p, s, smooth, t);
      return seasonal + trailingMean(ctx.p, t, w) - trailingMean(ctx.p, t - P, w);
    };
    const w = bestBy([5, 15, 30, 60, 120], (win) => fitError(ctx, fitEnd, horizons, make(win)));
    const predict = make(w);
    return { name: 'seasonal_naive_level', predict };
  },
};

/** Seasonal naive: the (lightly smoothed) value one season before the target time. */
export const seasonalNaive: ModelSpec = {
  name: 'seasonal_naive',
  baseline: true,
  applicable: (ctx, fitEnd) => fitEnd > seasonOf(ctx) + ctx.day,
  fit(ctx, fitEnd, horizons) {
    const P = seasonOf(ctx);
    const make = (k: number) => (t: number, h: number): number => {
      const s = t + h - P;
      return s < 0 || s > t ? trailingMean(ctx.p, t, 5) : centredMean(ctx.p, s, k, t);
    };
    const k = bestBy([1, 5, 15, 31], (win) => fitError(ctx, fitEnd, horizons, make(win)));
    return { name: 'seasonal_naive', predict: make(k) };
  },
};

/** Mean of y around index s (half-width ~k/2), never reading past `limit`. */
export function centredMean(p: Float64Array, s: number, k: number, limit: number): number {
  const half = k >> 1;
  const a = Math.max(0, s - half);
  const b = Math.min(limit, s + half);
  return (p[b + 1]! - p[a]!) / (b + 1 - a);
}

/** Mean absolute error of predict over origins in the last day before fitEnd, across horizons. */
export function fitError(ctx: SeriesContext, fitEnd: number, horizons: readonly number[], predict: (t: number, h: number) => number): number {
  const maxH = Math.max(...horizons);
  const from = Math.max(1, fitEnd - ctx.day - maxH);
  let err = 0;
  for (let t = from; t + maxH < fitEnd; t += 7) {
    for (const h of horizons) err += Math.abs(ctx.y[t + h]! - predict(t, h));
  }
  return err;
}

export function bestBy<T>(options: readonly T[], score: (o: T) => number): T {
  let best = options[0] as T;
  let bestScore = Infinity;
  for (const o of options) {
    const s = score(o);
    if (s < bestScore) { best = o; bestScore = s; }
  }
  return best;
}

export type { FittedModel };
