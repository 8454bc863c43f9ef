// Season detection by autocorrelation on a coarsened copy of the series (10-point means): cheap, and the
// noise of single minutes does not hide a daily or weekly shape.

export interface SeasonResult {
  /** Chosen season in points, 0 when none is convincing. */
  period: number;
  /** Autocorrelation at each tested candidate (NaN when there was not enough history). */
  acf: Record<number, number>;
}

const BUCKET = 10;

function coarsen(y: Float64Array, end: number): Float64Array {
  const n = Math.floor(end / BUCKET);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < BUCKET; j++) s += y[i * BUCKET + j]!;
    out[i] = s / BUCKET;
  }
  return out;
}

/** x minus its centred moving average over `w` points (window shortened at the edges). */
export function detrend(x: Float64Array, w: number): Float64Array {
  const p = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) p[i + 1] = p[i]! + x[i]!;
  const half = w >> 1;
  return Float64Array.from(x, (v, i) => {
    const a = Math.max(0, i - half);
    const b = Math.min(x.length, i + half + 1);
    return v - (p[b]! - p[a]!) / (b - a);
  });
}

/** Pearson correlation between x[i] and x[i + lag]; NaN when the overlap is shorter than minOverlap. */
export function autocorrelation(x: Float64Array, lag: number, minOverlap: number): number {
  const n = x.length - lag;
  if (lag <= 0 || n < minOverlap) return Number.NaN;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]!, b = x[i + lag]!;
    sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b;
  }
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  if (va <= 0 || vb <= 0) return 0;
  return cov / Math.sqrt(va * vb);
}

/**
 * Picks the season among candidates (points, ascending: e.g. [1440, 10080]). A longer season wins only when
 * it correlates clearly better, since it costs a whole extra season of history to learn.
 */
export function detectSeason(y: Float64Array, end: number, candidates: readonly number[], minAcf = 0.3): SeasonResult {
  const x = coarsen(y, end);
  const acf: Record<number, number> = {};
  let period = 0;
  let best = minAcf;
  // Remove the slow trend first (moving average over the shortest candidate season): a random walk or a
  // ramp correlates with itself at any lag and would otherwise look seasonal.
  const flat = detrend(x, Math.round((candidates[0] ?? BUCKET) / BUCKET));
  for (const c of candidates) {
    const lag = Math.round(c / BUCKET);
    // At least one shortest season of overlap (a day), and half of a longer one.
    const r = autocorrelation(flat, lag, Math.max(lag / 2, Math.round((candidates[0] ?? BUCKET) / BUCKET)));
    acf[c] = r;
    if (Number.isNaN(r)) continue;
    const margin = period === 0 ? 0 : 0.1;
    if (r > best + margin) { best = r; period = c; }
  }
  return { period, acf };
}
