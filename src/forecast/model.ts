// The shape every forecasting model shares. A model is fitted once per series (parameters chosen on data
// before `fitEnd`), then predicts cheaply from any origin t using only values at indices <= t, so one fit
// serves every rolling-origin evaluation and every live decision until the next refit.

export interface SeriesContext {
  /** Raw values (baselines read these: they are what an operator would compute by hand). */
  raw: Float64Array;
  /** Cleaned values (gaps filled, outliers clipped causally): model inputs. */
  y: Float64Array;
  /** Prefix sums of y. */
  p: Float64Array;
  /** Prefix sums of y² (local scale in O(1)). */
  p2: Float64Array;
  /** Maximum of raw over the last week up to and including each index (caps the upper bound). */
  recentMax: Float64Array;
  /** Detected season length in points (0 = none), e.g. 1440 (daily) or 10080 (weekly) at 1-minute steps. */
  period: number;
  /** Points per day at this step (1440 at 1-minute steps); used by the "same time yesterday" baseline. */
  day: number;
}

export interface FittedModel {
  readonly name: string;
  /** Point forecast of y[t + h] made at origin t (uses values at indices <= t only). */
  predict(t: number, h: number): number;
}

/** What a model may reuse from an earlier fit of the same series (the neural model warm-starts from it). */
export interface FitHints {
  prior?: FittedModel;
}

export interface ModelSpec {
  readonly name: string;
  /** One of the five simple baselines the report measures gains against (they are also candidates). */
  readonly baseline?: boolean;
  /** Whether this model can run on this series (enough history, a season detected, ...). */
  applicable(ctx: SeriesContext, fitEnd: number): boolean;
  /** Chooses parameters on ctx.y[0..fitEnd) for the given horizons (in points). */
  fit(ctx: SeriesContext, fitEnd: number, horizons: readonly number[], hints?: FitHints): FittedModel;
}
