// Multi-day seasonal profile shifted by the recent level (daily + weekly seasonality): the mean of the
// (lightly smoothed) values at the target's time of day over the last K days, blended with the value at
// the same time one week before when the series is long enough, plus how far the recent level is from the
// same profile's level around now. A noise-averaged "seasonal naive × level": one day's noise is what
// makes the single-season baselines lose at 15-30 minutes on periodic traces.
import type { FittedModel, ModelSpec, SeriesContext } from '../model.ts';
import { trailingMean } from '../series.ts';
import { bestBy, centredMean, fitError } from './naive.ts';

interface Params { days: number; level: number; smooth: number; week: number }

const DAYS = [2, 3, 5, 7];
const LEVELS = [15, 60];
const SMOOTHS = [5, 15];
const WEEK_WEIGHTS = [0, 0.5];

/** Forecast of y[t+h] from origin t with the given parameters (reads only indices <= t). */
export function profilePredict(ctx: SeriesContext, q: Params, t: number, h: number): number {
  const D = ctx.day;
  const s0 = t + h;
  let prof = 0, lvl = 0, n = 0;
  for (let k = 1; k <= q.days; k++) {
    const s = s0 - k * D;
    if (s - q.smooth < 0 || t - k * D - q.level < 0) break;
    prof += centredMean(ctx.p, s, q.smooth, t);
    lvl += trailingMean(ctx.p, t - k * D, q.level);
    n++;
  }
  const now = trailingMean(ctx.p, t, q.level);
  if (n === 0) return now;
  let f = prof / n + now - lvl / n;
  const W = 7 * D;
  if (q.week > 0 && s0 - W - q.smooth >= 0 && t - W - q.level >= 0) {
    const wk = centredMean(ctx.p, s0 - W, q.smooth, t) + now - trailingMean(ctx.p, t - W, q.level);
    f = (1 - q.week) * f + q.week * wk;
  }
  return f;
}

export const seasonalProfile: ModelSpec = {
  name: 'seasonal_profile',
  applicable: (ctx, fitEnd) => fitEnd > 3 * ctx.day,
  fit(ctx, fitEnd, horizons): FittedModel {
    const weekOk = fitEnd > 8 * ctx.day;
    const grid: Params[] = [];
    for (const days of DAYS) for (const level of LEVELS) for (const smooth of SMOOTHS) for (const week of weekOk ? WEEK_WEIGHTS : [0]) grid.push({ days, level, smooth, week });
    const q = bestBy(grid, (g) => fitError(ctx, fitEnd, horizons, (t, h) => profilePredict(ctx, g, t, h)));
    return { name: 'seasonal_profile', predict: (t, h) => profilePredict(ctx, q, t, h) };
  },
};
