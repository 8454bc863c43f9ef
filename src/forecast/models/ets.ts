// Exponential smoothing: Holt's damped trend, and additive Holt-Winters (damped trend + one season).
// One O(n) filter pass per parameter set; parameters from a small grid scored on the last day before
// fitEnd at the requested horizons (multi-step error, not one-step likelihood: we forecast 5-30 min out).
import type { FittedModel, ModelSpec, SeriesContext } from '../model.ts';

interface EtsParams { alpha: number; beta: number; gamma: number; phi: number }

interface EtsState { L: Float64Array; B: Float64Array; S: Float64Array | null; m: number }

function dampSums(phi: number, maxH: number): Float64Array {
  const d = new Float64Array(maxH + 1);
  let acc = 0;
  let pow = 1;
  for (let h = 1; h <= maxH; h++) { pow *= phi; acc += pow; d[h] = acc; }
  return d;
}

/** Runs the filter over y[0..end). m = 0 means no season (Holt). */
function runFilter(y: Float64Array, end: number, m: number, prm: EtsParams): EtsState {
  const L = new Float64Array(end);
  const B = new Float64Array(end);
  const S = m > 0 ? new Float64Array(end) : null;
  let start = 1;
  let l = y[0] ?? 0;
  if (S) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += y[i]!;
    l = sum / m;
    for (let i = 0; i < m; i++) { S[i] = y[i]! - l; L[i] = l; }
    start = m;
  } else if (end > 0) L[0] = l;
  let b = 0;
  const { alpha, beta, gamma, phi } = prm;
  for (let t = start; t < end; t++) {
    const sPrev = S ? S[t - m]! : 0;
    const lNew = alpha * (y[t]! - sPrev) + (1 - alpha) * (l + phi * b);
    b = beta * (lNew - l) + (1 - beta) * phi * b;
    l = lNew;
    L[t] = l;
    B[t] = b;
    if (S) S[t] = gamma * (y[t]! - l) + (1 - gamma) * sPrev;
  }
  return { L, B, S, m };
}

function predictor(st: EtsState, damp: Float64Array): (t: number, h: number) => number {
  return (t, h) => {
    const base = st.L[t]! + damp[Math.min(h, damp.length - 1)]! * st.B[t]!;
    if (!st.S) return base;
    const i = t + h - st.m;
    return base + (i >= 0 ? st.S[Math.min(i, t)]! : 0);
  };
}

function score(y: Float64Array, end: number, from: number, horizons: readonly number[], predict: (t: number, h: number) => number): number {
  const maxH = Math.max(...horizons);
  let err = 0;
  for (let t = from; t + maxH < end; t += 7) for (const h of horizons) err += Math.abs(y[t + h]! - predict(t, h));
  return err;
}

function gridFit(ctx: SeriesContext, fitEnd: number, horizons: readonly number[], m: number, grid: EtsParams[]): EtsParams {
  const maxH = Math.max(...horizons);
  const from = Math.max(m + 1, fitEnd - ctx.day - maxH);
  let best = grid[0]!;
  let bestErr = Infinity;
  for (const prm of grid) {
    const st = runFilter(ctx.y, fitEnd, m, prm);
    const err = score(ctx.y, fitEnd, from, horizons, predictor(st, dampSums(prm.phi, maxH)));
    if (err < bestErr) { bestErr = err; best = prm; }
  }
  return best;
}

function fitted(name: string, ctx: SeriesContext, m: number, prm: EtsParams, maxH: number): FittedModel {
  // Apply the chosen parameters over the whole series: the filter is causal, so state at t uses y[<=t].
  const st = runFilter(ctx.y, ctx.y.length, m, prm);
  return { name, predict: predictor(st, dampSums(prm.phi, Math.max(maxH, 60))) };
}

const HOLT_GRID: EtsParams[] = [];
for (const alpha of [0.05, 0.15, 0.35, 0.7]) {
  for (const beta of [0.005, 0.05]) for (const phi of [0.8, 0.95]) HOLT_GRID.push({ alpha, beta, gamma: 0, phi });
}

/** Holt's linear trend with damping (phi < 1 keeps long horizons from running away). */
export const holtDamped: ModelSpec = {
  name: 'holt_damped',
  applicable: (ctx, fitEnd) => fitEnd > 120,
  fit(ctx, fitEnd, horizons) {
    // Score on the last two days only: the filter forgets older data anyway.
    const off = Math.max(0, fitEnd - 2 * ctx.day - 60);
    const sub: SeriesContext = { ...ctx, y: ctx.y.subarray(off) };
    const prm = gridFit(sub, fitEnd - off, horizons, 0, HOLT_GRID);
    return fitted('holt_damped', ctx, 0, prm, Math.max(...horizons));
  },
};

const HW_GRID: EtsParams[] = [];
for (const alpha of [0.1, 0.3, 0.6]) {
  for (const gamma of [0.1, 0.4]) HW_GRID.push({ alpha, beta: 0.01, gamma, phi: 0.9 });
}

/** Additive Holt-Winters with the detected season (daily or weekly) and a damped trend. */
export const holtWinters: ModelSpec = {
  name: 'holt_winters',
  applicable: (ctx, fitEnd) => ctx.period > 0 && fitEnd > ctx.period + 2 * ctx.day,
  fit(ctx, fitEnd, horizons) {
    const prm = gridFit(ctx, fitEnd, horizons, ctx.period, HW_GRID);
    return fitted('holt_winters', ctx, ctx.period, prm, Math.max(...horizons));
  },
};
