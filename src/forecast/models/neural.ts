// The neural candidate: a small MLP (src/forecast/nn/mlp.ts) trained at fit time on the series' own
// history. One network predicts every horizon at once (multi-horizon output) from level-normalised
// inputs: recent lags, trailing means and, once a day of history exists, the values one day (and one
// detected week) before each target time. Normalising by the local level and scale makes one
// architecture work for 0.002 cores and 600 requests/s alike, and after a level shift.
import type { FittedModel, ModelSpec, SeriesContext } from '../model.ts';
import { initMlp, forward, train, type Dataset, type Mlp, type TrainOptions } from '../nn/mlp.ts';
import { localScale, trailingMean } from '../series.ts';
import { centredMean } from './naive.ts';

export interface NeuralParams extends TrainOptions {
  hidden: number;
  /** At most this many training rows (origins are strided to fit): bounds the fit cost. */
  maxRows: number;
  /** Epochs when warm-starting from an earlier fit of the same series (the final refit after validation). */
  warmEpochs: number;
}

/** Fixed architecture and training budget (docs/forecasting.md: chosen on the development traces, not per trace). */
export const NEURAL_DEFAULTS: NeuralParams = {
  hidden: 16, epochs: 10, warmEpochs: 3, batch: 32, lr: 0.004, weightDecay: 1e-4, delta: 1, maxRows: 5000, seed: 20_261_201,
};

const LAGS = [0, 1, 2, 3, 5, 8, 12];
const MEAN_MINUTES = [30, 60, 120, 240, 720];
const LEVEL_MINUTES = 15;
const SEASON_SMOOTH = 5;
const CLIP = 8;

interface Layout { hs: number[]; seasons: number[]; means: number[]; level: number; k: number; warmup: number; scaleWindow: number }

function makeLayout(ctx: SeriesContext, fitEnd: number, horizons: readonly number[]): Layout {
  const hs = [...new Set(horizons)].sort((a, b) => a - b);
  const perMin = ctx.day / 1440;
  const pts = (m: number): number => Math.max(1, Math.round(m * perMin));
  const means = [...new Set(MEAN_MINUTES.map(pts))];
  const maxH = hs[hs.length - 1]!;
  const seasons: number[] = [];
  // A season's features are learnt only with at least a day of rows after the first season.
  if (fitEnd > 2 * ctx.day + maxH) seasons.push(ctx.day);
  if (ctx.period > ctx.day && fitEnd > ctx.period + ctx.day + maxH) seasons.push(ctx.period);
  const warmup = Math.max(means[means.length - 1]!, LAGS[LAGS.length - 1]!, ...seasons.map((s) => s + SEASON_SMOOTH)) + 1;
  return { hs, seasons, means, level: pts(LEVEL_MINUTES), scaleWindow: Math.max(240, ctx.day), k: LAGS.length + means.length + seasons.length * (hs.length + 1), warmup };
}

const clip = (v: number): number => (v > CLIP ? CLIP : v < -CLIP ? -CLIP : v);

/** Writes the inputs of origin t at x[xo..]; returns the level and scale the targets are relative to. */
function features(ctx: SeriesContext, lay: Layout, t: number, x: Float64Array, xo: number): { m: number; s: number } {
  const { y, p, p2 } = ctx;
  const m = trailingMean(p, t, lay.level);
  // Scale over a day, not a few hours: a daily burst then stays within the input clip instead of being
  // 30 local standard deviations away from a calm morning.
  const s = localScale(p, p2, t, lay.scaleWindow);
  let i = xo;
  for (const l of LAGS) x[i++] = clip((y[Math.max(0, t - l)]! - m) / s);
  for (const w of lay.means) x[i++] = clip((trailingMean(p, t, w) - m) / s);
  for (const P of lay.seasons) {
    const ok = t - P - lay.level >= 0;
    // The level one season ago "now", then the (smoothed) value one season before each target time.
    x[i++] = ok ? clip((trailingMean(p, t - P, lay.level) - m) / s) : 0;
    for (const h of lay.hs) x[i++] = ok ? clip((centredMean(p, t + h - P, SEASON_SMOOTH, t) - m) / s) : 0;
  }
  return { m, s };
}

function dataset(ctx: SeriesContext, lay: Layout, fitEnd: number, maxRows: number): Dataset {
  const maxH = lay.hs[lay.hs.length - 1]!;
  const from = lay.warmup;
  const last = fitEnd - maxH - 1;
  const count = Math.max(0, last - from + 1);
  const stride = Math.max(1, Math.ceil(count / maxRows));
  const rows = Math.ceil(count / stride);
  const O = lay.hs.length;
  const X = new Float64Array(rows * lay.k);
  const Y = new Float64Array(rows * O);
  // Newest origins first so the stride always keeps the most recent one.
  for (let r = 0, t = last; r < rows; r++, t -= stride) {
    const { m, s } = features(ctx, lay, t, X, r * lay.k);
    for (let o = 0; o < O; o++) Y[r * O + o] = Math.max(-20, Math.min(20, (ctx.y[t + lay.hs[o]!]! - m) / s));
  }
  return { X, Y, rows };
}

interface NeuralModel extends FittedModel { readonly net: Mlp; readonly layout: Layout }

function bind(ctx: SeriesContext, lay: Layout, net: Mlp): NeuralModel {
  const x = new Float64Array(lay.k);
  const scratch = { h: new Float64Array(net.shape.hidden), out: new Float64Array(net.shape.outputs) };
  let cachedT = -1;
  let ref = { m: 0, s: 1 };
  const index = (h: number): number => {
    let best = 0;
    for (let o = 1; o < lay.hs.length; o++) if (Math.abs(lay.hs[o]! - h) < Math.abs(lay.hs[best]! - h)) best = o;
    return best;
  };
  return {
    name: 'mlp', net, layout: lay,
    predict(t, h) {
      // Every horizon comes out of one pass: keep the last origin's outputs.
      if (t !== cachedT) { ref = features(ctx, lay, t, x, 0); forward(net, x, 0, scratch); cachedT = t; }
      return ref.m + ref.s * scratch.out[index(h)]!;
    },
  };
}

/** The neural candidate with explicit hyper-parameters (tests and the speed bench use other budgets). */
export function neuralSpec(prm: NeuralParams = NEURAL_DEFAULTS): ModelSpec {
  return {
    name: 'mlp',
    applicable: (ctx, fitEnd) => fitEnd > Math.max(1.5 * ctx.day, 1000),
    fit(ctx, fitEnd, horizons, hints) {
      const lay = makeLayout(ctx, fitEnd, horizons);
      const data = dataset(ctx, lay, fitEnd, prm.maxRows);
      const prior = hints?.prior as NeuralModel | undefined;
      const compatible = prior?.net && prior.layout.k === lay.k && prior.layout.hs.join() === lay.hs.join() && prior.net.shape.hidden === prm.hidden;
      const net: Mlp = compatible
        ? { shape: prior.net.shape, params: Float64Array.from(prior.net.params) }
        : initMlp({ inputs: lay.k, hidden: prm.hidden, outputs: lay.hs.length }, prm.seed);
      train(net, data, { ...prm, epochs: compatible ? prm.warmEpochs : prm.epochs });
      return bind(ctx, lay, net);
    },
  };
}

export const neural: ModelSpec = neuralSpec();
