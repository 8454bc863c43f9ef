// Direct multi-horizon ridge regression on level-relative features: for each horizon h, predict
// y[t+h] - m5(t) from recent shape (last value, trailing means) and, when a season is known, what
// happened one season ago around t+h. Linear in differences, so it is scale-free (works for 0.002 and 600).
import type { FittedModel, ModelSpec, SeriesContext } from '../model.ts';
import { median, trailingMean } from '../series.ts';
import { centredMean } from './naive.ts';
import { profilePredict } from './profile.ts';

const SEASON_SMOOTH = 5;
const STRIDE = 4;

/**
 * The multi-day profile feature (session 14): fixed parameters, not chosen per series (the ridge weights
 * decide how much of it to use); the weekly blend only once more than a week of history exists.
 */
interface Profile { days: number; level: number; smooth: number; week: number }
function profileFor(ctx: SeriesContext, fitEnd: number): Profile | undefined {
  if (fitEnd <= 3 * ctx.day) return undefined;
  return { days: 7, level: 15, smooth: 15, week: fitEnd > 8 * ctx.day ? 0.5 : 0 };
}
const width = (seasons: readonly number[], prof: Profile | undefined): number => 5 + 2 * seasons.length + (prof ? 1 : 0);

/** Writes the features of origin t for horizon h into f; returns the reference level (target offset). */
function features(ctx: SeriesContext, t: number, h: number, f: Float64Array, spec: { seasons: readonly number[]; prof?: Profile }): number {
  const { seasons, prof } = spec;
  const p = ctx.p;
  const m5 = trailingMean(p, t, 5);
  f[0] = 1;
  f[1] = ctx.y[t]! - m5;
  f[2] = trailingMean(p, t, 15) - m5;
  f[3] = trailingMean(p, t, 60) - m5;
  f[4] = trailingMean(p, t, 240) - m5;
  let k = 5;
  for (const P of seasons) {
    const s = t + h - P;
    const ok = s - 60 >= 0;
    // Season-ago change from "now" to "now + h", and season-ago level at t+h relative to now.
    f[k++] = ok ? centredMean(p, s, SEASON_SMOOTH, t) - trailingMean(p, t - P, 5) : 0;
    f[k++] = ok ? centredMean(p, s, SEASON_SMOOTH, t) - m5 : 0;
  }
  if (prof) f[k++] = profilePredict(ctx, prof, t, h) - m5;
  return m5;
}

/** Solves (XᵀX + λI)w = Xᵀy by Cholesky; the intercept (index 0) is not penalised. */
export function solveRidge(xtx: Float64Array, xty: Float64Array, k: number, lambda: number): Float64Array {
  const a = Float64Array.from(xtx);
  for (let i = 1; i < k; i++) a[i * k + i]! += lambda;
  a[0]! += 1e-9;
  // Cholesky decomposition in place (lower triangle).
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let s = 0; s < j; s++) d -= a[j * k + s]! ** 2;
    const r = Math.sqrt(Math.max(d, 1e-12));
    a[j * k + j] = r;
    for (let i = j + 1; i < k; i++) {
      let v = a[i * k + j]!;
      for (let s = 0; s < j; s++) v -= a[i * k + s]! * a[j * k + s]!;
      a[i * k + j] = v / r;
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let v = xty[i]!;
    for (let s = 0; s < i; s++) v -= a[i * k + s]! * z[s]!;
    z[i] = v / a[i * k + i]!;
  }
  const w = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let v = z[i]!;
    for (let s = i + 1; s < k; s++) v -= a[s * k + i]! * w[s]!;
    w[i] = v / a[i * k + i]!;
  }
  return w;
}

/** History beyond a season needed before its features are worth learning: about a day (in points). */
const minRows = (ctx: SeriesContext): number => Math.max(120, Math.round(ctx.day));

function seasonsFor(ctx: SeriesContext, fitEnd: number): number[] {
  const out: number[] = [];
  if (fitEnd > ctx.day + minRows(ctx)) out.push(ctx.day);
  if (ctx.period > ctx.day && fitEnd > ctx.period + minRows(ctx)) out.push(ctx.period);
  return out;
}

interface Design { X: Float64Array; y: Float64Array; rows: number; k: number }

function design(ctx: SeriesContext, fitEnd: number, h: number, seasons: readonly number[], prof: Profile | undefined): Design {
  const k = width(seasons, prof);
  const from = Math.max(240, fitEnd - 7 * ctx.day, (seasons[seasons.length - 1] ?? 0) + 60);
  // Stride 4: neighbouring minutes are nearly duplicate rows; a quarter of them carries the same information.
  const rows = Math.max(0, Math.ceil((fitEnd - h - from) / STRIDE));
  const X = new Float64Array(rows * k);
  const y = new Float64Array(rows);
  const f = new Float64Array(k);
  for (let r = 0, t = from; r < rows; r++, t += STRIDE) {
    const ref = features(ctx, t, h, f, { seasons, prof });
    y[r] = ctx.y[t + h]! - ref;
    X.set(f, r * k);
  }
  return { X, y, rows, k };
}

function weightedSolve(d: Design, w: Float64Array): Float64Array {
  const { X, y, rows, k } = d;
  const xtx = new Float64Array(k * k);
  const xty = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    const wr = w[r]!;
    for (let i = 0; i < k; i++) {
      const fi = X[o + i]! * wr;
      xty[i]! += fi * y[r]!;
      for (let j = 0; j <= i; j++) xtx[i * k + j]! += fi * X[o + j]!;
    }
  }
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) xtx[i * k + j] = xtx[j * k + i]!;
  let tr = 0;
  for (let i = 1; i < k; i++) tr += xtx[i * k + i]!;
  return solveRidge(xtx, xty, k, 1e-3 * (tr / Math.max(1, k - 1)) + 1e-12);
}

// Huber loss by iteratively reweighted least squares: load metrics have bursts that would otherwise
// dominate squared error, and the forecast is judged on absolute error (WAPE).
function fitHorizon(ctx: SeriesContext, fitEnd: number, h: number, seasons: readonly number[], prof: Profile | undefined): Float64Array {
  const d = design(ctx, fitEnd, h, seasons, prof);
  const w = new Float64Array(d.rows).fill(1);
  let beta = weightedSolve(d, w);
  const res = new Float64Array(d.rows);
  for (let iter = 0; iter < 2; iter++) {
    for (let r = 0; r < d.rows; r++) {
      let p = 0;
      for (let i = 0; i < d.k; i++) p += beta[i]! * d.X[r * d.k + i]!;
      res[r] = Math.abs(d.y[r]! - p);
    }
    // Median absolute residual × 1.4826 estimates sigma robustly; a strided sample keeps the sort small.
    const sample = new Float64Array(Math.ceil(d.rows / 8));
    for (let r = 0, j = 0; r < d.rows; r += 8, j++) sample[j] = res[r]!;
    const delta = 1.345 * 1.4826 * median(sample) + 1e-12;
    for (let r = 0; r < d.rows; r++) w[r] = res[r]! <= delta ? 1 : delta / res[r]!;
    beta = weightedSolve(d, w);
  }
  return beta;
}

/** The ridge model; `profile: false` leaves the multi-day profile feature out (the A/B in its test). */
export function ridgeModel(opts: { profile: boolean }): ModelSpec {
  return {
    name: 'ridge',
    applicable: (ctx, fitEnd) => fitEnd > 600,
    fit(ctx, fitEnd, horizons): FittedModel {
      const seasons = seasonsFor(ctx, fitEnd);
      const prof = opts.profile ? profileFor(ctx, fitEnd) : undefined;
      const weights = new Map<number, Float64Array>();
      for (const h of horizons) weights.set(h, fitHorizon(ctx, fitEnd, h, seasons, prof));
      const f = new Float64Array(width(seasons, prof));
      return {
        name: 'ridge',
        predict(t, h) {
          const w = weights.get(h) ?? weights.get(nearest(horizons, h))!;
          const ref = features(ctx, t, h, f, { seasons, prof });
          let v = ref;
          for (let i = 0; i < w.length; i++) v += w[i]! * f[i]!;
          return v;
        },
      };
    },
  };
}

export const ridge: ModelSpec = ridgeModel({ profile: true });

function nearest(hs: readonly number[], h: number): number {
  let best = hs[0]!;
  for (const x of hs) if (Math.abs(x - h) < Math.abs(best - h)) best = x;
  return best;
}
