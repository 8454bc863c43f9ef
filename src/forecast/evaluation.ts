// Leave-traces-out evaluation (pure). Traces are split into k folds; for each fold the shared
// hyper-parameters (a SelectorConfig) are chosen on the other folds' traces and the fold's own traces are
// reported with that choice, so no reported trace influenced the configuration it is reported with.
// Per-series choices inside a config use only that series' past (backtest.ts). Gains over the strongest
// simple baseline come with a paired block bootstrap over test days.
import { selectorName, SIMPLE_SELECTOR, type BacktestResult, type Scores } from './backtest.ts';
import { PRESCALE_POLICIES, strategyKey, type PrescalePolicy } from './capacity.ts';
import { seededRandom } from './rng.ts';
import { BASELINE_NAMES, SELECTOR_CONFIGS, type SelectorConfig } from './selector.ts';

export interface TraceRun { file: string; result: BacktestResult }

const sum = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0);

export function median(xs: readonly number[]): number {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (a.length === 0) return Number.NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** WAPE of a model at horizon index hi over the whole test segment (NaN when nothing was observed). */
export function wapeOf(r: BacktestResult, name: string, hi: number): number {
  const s = r.scores[name];
  const tot = sum(r.actual[hi]!);
  return s && tot > 0 ? sum(s.err[hi]!) / tot : Number.NaN;
}

/** The simple baseline with the lowest WAPE on this trace's test segment: chosen in hindsight (the strongest). */
export function bestBaseline(r: BacktestResult, hi: number): { name: string; wape: number } {
  let best = { name: BASELINE_NAMES[0]!, wape: Infinity };
  for (const n of BASELINE_NAMES) { const w = wapeOf(r, n, hi); if (w < best.wape) best = { name: n, wape: w }; }
  return best;
}

/** Paired block bootstrap over test days of 1 − err(a)/err(b): point estimate and 95% interval. */
export function bootstrapGain(a: readonly number[], b: readonly number[], seed: number, rounds = 2000): { gain: number; lo: number; hi: number } {
  const gain = 1 - sum(a) / sum(b);
  const days = a.length;
  if (days < 2) return { gain, lo: Number.NaN, hi: Number.NaN };
  const rnd = seededRandom(seed);
  const out = new Float64Array(rounds);
  for (let r = 0; r < rounds; r++) {
    let ea = 0, eb = 0;
    for (let d = 0; d < days; d++) { const k = Math.floor(rnd() * days); ea += a[k]!; eb += b[k]!; }
    out[r] = eb > 0 ? 1 - ea / eb : 0;
  }
  out.sort();
  return { gain, lo: out[Math.floor(0.025 * rounds)]!, hi: out[Math.min(rounds - 1, Math.floor(0.975 * rounds))]! };
}

export interface QuantileScore { coverage: number; pinball: number; windows: number }

function qscore(r: BacktestResult, s: Scores | undefined): QuantileScore {
  if (!s || s.windows === 0) return { coverage: Number.NaN, pinball: Number.NaN, windows: 0 };
  // Pinball loss summed over windows ÷ summed actual maxima: scale-free like WAPE.
  return { coverage: s.covered / s.windows, pinball: r.actualMaxSum > 0 ? s.pinball / r.actualMaxSum : Number.NaN, windows: s.windows };
}

/** The strongest simple baseline's upper bound on this trace (lowest pinball loss, in hindsight). */
function bestBaselineBound(r: BacktestResult, mode: SelectorConfig['margin']): { name: string } & QuantileScore {
  let best = { name: '', coverage: Number.NaN, pinball: Infinity, windows: 0 };
  for (const n of BASELINE_NAMES) { const q = qscore(r, r.scores[`${n}@${mode}`]); if (q.pinball < best.pinball) best = { name: n, ...q }; }
  return best;
}

const logMean = (xs: number[]): number => {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  return ok.length ? Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length) : 1;
};

/**
 * Lower is better: geometric mean over traces of the WAPE ratio (selector ÷ strongest simple baseline,
 * over horizons) plus that of the pinball-loss ratio (selector's bound ÷ the best baseline bound of either
 * margin mode). A geometric mean, not a median, so one trace where a config blows up still counts.
 */
function objective(runs: readonly TraceRun[], c: SelectorConfig): number {
  const rel = runs.flatMap(({ result: r }) => r.horizons.map((_, hi) => wapeOf(r, selectorName(c), hi) / bestBaseline(r, hi).wape));
  const pin = runs.map(({ result: r }) => {
    const ref = Math.min(bestBaselineBound(r, 'absolute').pinball, bestBaselineBound(r, 'scaled').pinball);
    return qscore(r, r.scores[selectorName(c)]).pinball / ref;
  });
  return logMean(rel) + logMean(pin);
}

export function chooseConfig(runs: readonly TraceRun[], configs: readonly SelectorConfig[] = SELECTOR_CONFIGS): SelectorConfig {
  let best = configs[0]!;
  let bestScore = Infinity;
  for (const c of configs) { const s = objective(runs, c); if (s < bestScore) { bestScore = s; best = c; } }
  return best;
}

/** The pre-scaler must cut over-capacity minutes to at most this share of reactive HPA's (issue #18: ≥ 60% fewer). */
export const OVER_CAPACITY_GOAL = 0.4;

/** Pooled (over-capacity, replica-minutes) ratios of one strategy to reactive HPA over the given traces. */
function policyRatios(runs: readonly TraceRun[], key: string): { over: number; cost: number } {
  let o = 0, o0 = 0, c = 0, c0 = 0;
  for (const { result: r } of runs) {
    const p = r.simulation.predictive[key];
    if (!p) return { over: Infinity, cost: Infinity };
    o += p.overCapacityMinutes; o0 += r.simulation.reactive.overCapacityMinutes;
    c += p.replicaMinutes; c0 += r.simulation.reactive.replicaMinutes;
  }
  return { over: o0 > 0 ? o / o0 : o > 0 ? Infinity : 1, cost: c0 > 0 ? c / c0 : 1 };
}

/** The pre-scaler may cost at most this share more replica-minutes than reactive HPA (issue #18: ≤ +10%). */
export const COST_CAP = 1.1;

/**
 * How the pre-scale policy is chosen on tuning traces (pooled over them):
 * - "cost-cap" (default, session 14): the most over-capacity reduction among the policies whose
 *   replica-minutes stay within COST_CAP of reactive HPA's; if none does, the cheapest.
 * - "goal" (sessions 9-13): the cheapest among those keeping over-capacity minutes at most
 *   OVER_CAPACITY_GOAL of reactive HPA's; if none does, the one with the fewest.
 */
export type PolicyRule = 'cost-cap' | 'goal';
export const DEFAULT_POLICY_RULE: PolicyRule = 'cost-cap';

/** The pre-scale policy (bound quantile, cool-down) for a selector config, chosen on tuning traces by `rule`. */
export function choosePolicy(runs: readonly TraceRun[], config: SelectorConfig, policies: readonly PrescalePolicy[] = PRESCALE_POLICIES, rule: PolicyRule = DEFAULT_POLICY_RULE): PrescalePolicy {
  const scored = policies.map((p) => ({ p, ...policyRatios(runs, strategyKey(config.name, p.name)) }));
  if (rule === 'cost-cap') {
    const ok = scored.filter((x) => x.cost <= COST_CAP).sort((a, b) => a.over - b.over || a.cost - b.cost);
    if (ok.length > 0) return ok[0]!.p;
    return scored.sort((a, b) => a.cost - b.cost || a.over - b.over)[0]!.p;
  }
  const ok = scored.filter((x) => x.over <= OVER_CAPACITY_GOAL).sort((a, b) => a.cost - b.cost || a.over - b.over);
  if (ok.length > 0) return ok[0]!.p;
  return scored.sort((a, b) => a.over - b.over || a.cost - b.cost)[0]!.p;
}

export interface HorizonReport {
  minutes: number;
  selector: number;
  /** Strongest simple baseline on this trace, in hindsight. */
  baseline: { name: string; wape: number };
  /** Gain 1 − selector/baseline with a paired block bootstrap 95% interval over test days. */
  gain: { gain: number; lo: number; hi: number };
  /** Past-only choice among the simple baselines (what an operator could have run instead). */
  simpleSelector: number;
  wape: Record<string, number>;
}

export interface TraceReport {
  file: string;
  fold: number;
  config: SelectorConfig;
  points: number;
  stepSeconds: number;
  period: number;
  testDays: number;
  origins: number;
  horizons: HorizonReport[];
  quantile: { q: number; selector: QuantileScore; simpleSelector: QuantileScore; bestBaseline: { name: string } & QuantileScore; models: Record<string, QuantileScore> };
  /** Share of (refit, horizon) choices that were the neural model alone, and an ensemble containing it. */
  neural: { chosenAlone: number; inEnsemble: number; choices: number };
  choices: Array<Record<string, number>>;
  /** The pre-scale policy chosen on the other folds' traces (with the fold's config). */
  policy: PrescalePolicy;
  simulation: {
    capacity: number; capacityRule: string; reactive: BacktestResult['simulation']['reactive']; predictive: BacktestResult['simulation']['reactive']; schedule: BacktestResult['simulation']['reactive'];
    /** The pre-scaler with the API's default policy (PRESCALE_POLICIES[0]: q = 0.9, 15-minute cool-down), for comparison. */
    predictiveDefault: BacktestResult['simulation']['reactive'];
  };
}

function neuralShare(r: BacktestResult, c: SelectorConfig): TraceReport['neural'] {
  const rows = r.chosen[c.name] ?? [];
  let alone = 0, ens = 0, total = 0;
  for (const row of rows) {
    total += sum(Object.values(row.chosen));
    alone += row.chosen.mlp ?? 0;
    ens += row.members.mlp ?? 0;
  }
  return { chosenAlone: total ? alone / total : 0, inEnsemble: total ? ens / total : 0, choices: total };
}

export function traceReport(run: TraceRun, c: SelectorConfig, fold: number, seed: number, policy: PrescalePolicy = PRESCALE_POLICIES[0]!): TraceReport {
  const r = run.result;
  const sel = selectorName(c);
  const names = Object.keys(r.scores).filter((n) => !n.includes('@') && !n.startsWith('selector:'));
  const horizons = r.horizons.map((h, hi) => {
    const baseline = bestBaseline(r, hi);
    return {
      minutes: h.minutes, selector: wapeOf(r, sel, hi), baseline,
      gain: bootstrapGain(r.scores[sel]!.err[hi]!, r.scores[baseline.name]!.err[hi]!, seed * 31 + hi),
      simpleSelector: wapeOf(r, SIMPLE_SELECTOR, hi),
      wape: Object.fromEntries(names.map((n) => [n, wapeOf(r, n, hi)])),
    };
  });
  const models = Object.fromEntries(names.filter((n) => n !== SIMPLE_SELECTOR).map((n) => [n, qscore(r, r.scores[`${n}@${c.margin}`])]));
  return {
    file: run.file, fold, config: c, points: r.points, stepSeconds: r.stepSeconds, period: r.period, testDays: r.testDays, origins: r.origins, horizons,
    quantile: { q: r.quantile, selector: qscore(r, r.scores[sel]), simpleSelector: qscore(r, r.scores[SIMPLE_SELECTOR]), bestBaseline: bestBaselineBound(r, c.margin), models },
    neural: neuralShare(r, c),
    choices: (r.chosen[c.name] ?? []).map((x) => x.chosen),
    policy,
    simulation: {
      capacity: r.simulation.capacity, capacityRule: r.simulation.capacityRule, reactive: r.simulation.reactive, schedule: r.simulation.schedule,
      predictive: r.simulation.predictive[strategyKey(c.name, policy.name)]!, predictiveDefault: r.simulation.predictive[strategyKey(c.name, PRESCALE_POLICIES[0]!.name)]!,
    },
  };
}

export interface Evaluation {
  folds: Array<{ fold: number; config: string; policy: string; heldOut: string[] }>;
  /** The config all traces together would choose (what a single new trace gets: DEFAULT_CONFIG should match). */
  configOnAll: string;
  /** The pre-scale policy all traces together would choose with that config. */
  policyOnAll: string;
  traces: TraceReport[];
}

/**
 * k-fold over traces (trace i goes to fold i mod k, in the given order). With one trace there is nothing
 * to hold out: it is reported with `fallback` (DEFAULT_CONFIG) and the protocol says so.
 */
export function leaveTracesOut(runs: readonly TraceRun[], k: number, fallback: SelectorConfig, fallbackPolicy: PrescalePolicy = PRESCALE_POLICIES[0]!, rule: PolicyRule = DEFAULT_POLICY_RULE): Evaluation {
  const folds = Math.max(1, Math.min(k, runs.length));
  const traces: TraceReport[] = [];
  const foldInfo: Evaluation['folds'] = [];
  for (let f = 0; f < folds; f++) {
    const held = runs.filter((_, i) => i % folds === f);
    const train = runs.filter((_, i) => i % folds !== f);
    const c = folds > 1 && train.length > 0 ? chooseConfig(train) : fallback;
    const pol = folds > 1 && train.length > 0 ? choosePolicy(train, c, PRESCALE_POLICIES, rule) : fallbackPolicy;
    foldInfo.push({ fold: f, config: c.name, policy: pol.name, heldOut: held.map((h) => h.file) });
    for (const run of held) traces.push(traceReport(run, c, f, runs.indexOf(run) + 1, pol));
  }
  traces.sort((a, b) => runs.findIndex((r) => r.file === a.file) - runs.findIndex((r) => r.file === b.file));
  const onAll = runs.length > 1 ? chooseConfig(runs) : fallback;
  return { folds: foldInfo, configOnAll: onAll.name, policyOnAll: runs.length > 1 ? choosePolicy(runs, onAll, PRESCALE_POLICIES, rule).name : fallbackPolicy.name, traces };
}
