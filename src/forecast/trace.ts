// From a parsed trace to the dense series the backtest and the forecaster read (pure), with the checks
// that make a trace unusable stated as one-line errors naming the file (and line where there is one).
import { InputError } from '../domain/errors.ts';
import type { ParsedTrace } from './csv.ts';
import { toDense, type DenseSeries } from './series.ts';

/** Sampling step: the most common gap between timestamps (robust to a few missing rows). */
export function detectStep(samples: ReadonlyArray<{ ts: number }>): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < samples.length; i++) {
    const d = samples[i]!.ts - samples[i - 1]!.ts;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = 60;
  let n = 0;
  for (const [d, c] of counts) if (c > n || (c === n && d < best)) { best = d; n = c; }
  return best;
}

export interface TraceSeries extends DenseSeries {
  file: string;
  /** Points per day at this step. */
  day: number;
  observed: Uint8Array;
}

/**
 * Dense series of a trace with at least `minDays` of data. All-zero traces are refused (WAPE is undefined
 * and nothing scales); a constant non-zero trace is accepted (every model is exact; gains are undefined).
 */
export function traceSeries(t: ParsedTrace, file: string, minDays: number): TraceSeries {
  const step = detectStep(t.samples);
  if (step <= 0 || step > 3600) throw new InputError(`${file}: sampling step ${step}s is not usable (want a step of at most 1h)`);
  const day = Math.round(86_400 / step);
  const dense = toDense(t.samples, step, { season: day });
  const n = dense.values.length;
  const lastLine = t.lines[t.lines.length - 1]!;
  if (n < minDays * day) {
    throw new InputError(`${file}:${lastLine}: trace ends after ${(n / day).toFixed(2)} days at ${step}s steps; needs at least ${minDays} days`);
  }
  let nonZero = false;
  for (let i = 0; i < n && !nonZero; i++) if (dense.values[i] !== 0) nonZero = true;
  if (!nonZero) throw new InputError(`${file}: every value is 0: nothing to forecast (WAPE is undefined)`);
  const seen = dense.observed!.reduce((s, v) => s + v, 0);
  if (seen < 0.5 * n) throw new InputError(`${file}: only ${seen} of ${n} points at ${step}s steps have a value; fill or trim the gaps`);
  return { ...dense, observed: dense.observed!, file, day };
}
