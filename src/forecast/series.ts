// Series preparation (pure): turn sparse samples into a dense 1-step series, fill gaps, clip outliers.
// Everything here is causal where it feeds a forecast, so a backtest never sees the future.

export interface Sample {
  /** Unix seconds. */
  ts: number;
  value: number;
}

export interface DenseSeries {
  /** Unix seconds of values[0]. */
  start: number;
  /** Seconds between points. */
  step: number;
  values: Float64Array;
  /** 1 where a sample was observed, 0 where the value was filled in. */
  observed?: Uint8Array;
}

export interface GapFillOptions {
  /** Gaps up to this many points are filled by linear interpolation. */
  maxLinearGap?: number;
  /** Season length in points used for long gaps (value one season earlier, shifted to the gap's edges). */
  season?: number;
}

/**
 * Places samples on a regular grid [start, end] (inclusive, aligned to step) and fills what is missing:
 * short gaps linearly, long gaps from one season earlier (shifted so both edges meet), else linearly.
 */
export function toDense(samples: readonly Sample[], step: number, opts: GapFillOptions = {}): DenseSeries {
  if (samples.length === 0) return { start: 0, step, values: new Float64Array(0) };
  const start = Math.round(samples[0]!.ts / step) * step;
  const end = Math.round(samples[samples.length - 1]!.ts / step) * step;
  const n = Math.floor((end - start) / step) + 1;
  const values = new Float64Array(n).fill(Number.NaN);
  for (const s of samples) {
    const i = Math.round((s.ts - start) / step);
    if (i >= 0 && i < n && Number.isFinite(s.value)) values[i] = s.value;
  }
  const observed = Uint8Array.from(values, (v) => (Number.isNaN(v) ? 0 : 1));
  fillGaps(values, opts);
  return { start, step, values, observed };
}

/** Fills NaN runs in place. Leading NaNs take the first known value, trailing ones the last. */
export function fillGaps(values: Float64Array, opts: GapFillOptions = {}): void {
  const maxLinear = opts.maxLinearGap ?? 10;
  const n = values.length;
  let i = 0;
  while (i < n) {
    if (!Number.isNaN(values[i]!)) { i++; continue; }
    let j = i;
    while (j < n && Number.isNaN(values[j]!)) j++;
    fillRun(values, i, j, maxLinear, opts.season);
    i = j;
  }
}

function fillRun(v: Float64Array, from: number, to: number, maxLinear: number, season?: number): void {
  const left = from > 0 ? v[from - 1]! : Number.NaN;
  const right = to < v.length ? v[to]! : Number.NaN;
  if (Number.isNaN(left) || Number.isNaN(right)) {
    const edge = Number.isNaN(left) ? right : left;
    v.fill(Number.isNaN(edge) ? 0 : edge, from, to);
    return;
  }
  const len = to - from;
  const seasonal = len > maxLinear && season !== undefined && from - season - 1 >= 0 && !Number.isNaN(v[from - season - 1]!);
  if (seasonal) { seasonalFill(v, { from, to, season }); return; }
  for (let k = from; k < to; k++) v[k] = left + ((right - left) * (k - from + 1)) / (len + 1);
}

// Copies the shape from one season back and tilts it so it joins the known values at both edges.
function seasonalFill(v: Float64Array, gap: { from: number; to: number; season: number }): void {
  const { from, to, season } = gap;
  const left = v[from - 1]!;
  const right = v[to]!;
  const len = to - from;
  const srcLeft = v[from - season - 1]!;
  const srcRightRaw = to - season < from ? v[to - season]! : Number.NaN;
  const srcRight = Number.isNaN(srcRightRaw) ? srcLeft : srcRightRaw;
  for (let k = from; k < to; k++) {
    const src = v[k - season]!;
    const w = (k - from + 1) / (len + 1);
    const shift = (1 - w) * (left - srcLeft) + w * (right - srcRight);
    v[k] = Number.isNaN(src) ? left + (right - left) * w : src + shift;
  }
}

export interface ClipOptions {
  /** Trailing window (points) for the rolling median and MAD. */
  window?: number;
  /** Points further than k robust standard deviations from the rolling median are clipped. */
  k?: number;
  /** Recompute the window statistics every `stride` points (they move slowly; keeps this O(n·w/stride)). */
  stride?: number;
  /**
   * Season in points (a day): a point beyond the limit is kept when the raw series also went beyond it
   * around the same time one season earlier (±5 points): a burst that repeats daily is load, not a glitch.
   */
  season?: number;
}

const outside = (b: { hi: number; lo: number; x: number }): boolean => b.x > b.hi || b.x < b.lo;

function seasonConfirms(values: Float64Array, i: number, season: number | undefined, bound: { hi: number; lo: number; x: number }): boolean {
  if (!season || i - season - 5 < 0) return false;
  for (let j = i - season - 5; j <= i - season + 5; j++) {
    const v = values[j]!;
    if ((bound.x > bound.hi && v > bound.hi) || (bound.x < bound.lo && v < bound.lo)) return true;
  }
  return false;
}

/**
 * Causal robust outlier clip: each point is compared with the median and MAD of the previous `window`
 * points and pulled back to median ± k·1.4826·MAD. Returns a new array and how many points moved.
 * Causal so a backtest stays honest; a real level shift passes once the window has caught up.
 */
export function clipOutliers(values: Float64Array, opts: ClipOptions = {}): { values: Float64Array; clipped: number } {
  const w = opts.window ?? 31;
  const k = opts.k ?? 10;
  const out = Float64Array.from(values);
  const buf = new Float64Array(w);
  const dev = new Float64Array(w);
  const stride = opts.stride ?? 12;
  let clipped = 0;
  let med = 0;
  let lim = 0;
  for (let i = w; i < values.length; i++) {
    if ((i - w) % stride === 0) {
      // The window reads raw values so one clipped spike does not drag the next window along.
      for (let j = 0; j < w; j++) buf[j] = values[i - w + j]!;
      med = median(buf);
      for (let j = 0; j < w; j++) dev[j] = Math.abs(buf[j]! - med);
      lim = k * (1.4826 * median(dev) + 1e-3 * Math.abs(med) + 1e-12);
    }
    const b = { hi: med + lim, lo: med - lim, x: values[i]! };
    if (outside(b) && !seasonConfirms(values, i, opts.season, b)) { out[i] = b.x > b.hi ? b.hi : b.lo; clipped++; }
  }
  return { values: out, clipped };
}

/** Median of a small scratch array (sorted in place). */
export function median(a: Float64Array): number {
  a.sort();
  const m = a.length >> 1;
  return a.length % 2 === 1 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** Empirical quantile (linear interpolation) of a copy of the values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return 0;
  const pos = Math.min(a.length - 1, Math.max(0, q * (a.length - 1)));
  const lo = Math.floor(pos);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

/** Prefix sums: sum of values[a..b) = p[b] - p[a]. */
export function prefixSums(values: Float64Array): Float64Array {
  const p = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) p[i + 1] = p[i]! + values[i]!;
  return p;
}

/** Prefix sums of squares: sum of values[a..b)² = p2[b] - p2[a]. */
export function prefixSquares(values: Float64Array): Float64Array {
  const p = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) p[i + 1] = p[i]! + values[i]! * values[i]!;
  return p;
}

/**
 * Local scale at origin t: standard deviation of the last w points plus 2% of their mean level (so a flat
 * stretch still has a usable scale), never 0. Used to normalise neural inputs and residual margins.
 */
export function localScale(p: Float64Array, p2: Float64Array, t: number, w = 240): number {
  const a = Math.max(0, t - w + 1);
  const n = t + 1 - a;
  const mean = (p[t + 1]! - p[a]!) / n;
  const variance = Math.max(0, (p2[t + 1]! - p2[a]!) / n - mean * mean);
  return Math.sqrt(variance) + 0.02 * Math.abs(mean) + 1e-9;
}

/** Mean of values[t-w+1..t] from prefix sums (window shortened at the start). */
export function trailingMean(p: Float64Array, t: number, w: number): number {
  const a = Math.max(0, t - w + 1);
  return (p[t + 1]! - p[a]!) / (t + 1 - a);
}

/** out[i] = max(values[i-w+1..i]) by a monotonic deque, O(n). */
export function runningMax(values: Float64Array, w: number): Float64Array {
  const out = new Float64Array(values.length);
  const q = new Int32Array(values.length);
  let head = 0, tail = 0;
  for (let i = 0; i < values.length; i++) {
    while (tail > head && values[q[tail - 1]!]! <= values[i]!) tail--;
    q[tail++] = i;
    if (q[head]! <= i - w) head++;
    out[i] = values[q[head]!]!;
  }
  return out;
}
