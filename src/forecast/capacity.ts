// The three scaling strategies the backtest compares on the same trace and pod size (pure):
// reactive HPA alone, the pre-scaler (policy on the forecaster's upper bound) + HPA, and a schedule-only
// pre-scaler fed with the load of the same window yesterday + HPA. Results are in minutes.
import { decide, DEFAULT_BOUNDS, type PolicyState, type ScalingBounds } from './policy.ts';
import { quantile } from './series.ts';
import { HPA_DEFAULTS, simulate, type SimOptions, type SimResult } from './simulator.ts';

/** Replicas the reactive HPA runs at the history's median load under the stated capacity rule. */
export const REFERENCE_REPLICAS = 4;
/** The rule never sizes pods so small that the history's peak needs more than this many. */
export const MAX_REFERENCE_REPLICAS = 200;

/**
 * Stated capacity rule when the policy gives none: a reference pod serves, at the HPA's target
 * utilisation, a quarter of the history's median load (so the reactive HPA runs 4 pods at the median and
 * scales with the load: 40 at ten times the median); never smaller than peak / (200 × target).
 */
export function capacityRule(history: Float64Array): { value: number; rule: string } {
  const med = quantile(history, 0.5);
  const peak = quantile(history, 1);
  const byMedian = med / (REFERENCE_REPLICAS * HPA_DEFAULTS.target);
  const byPeak = peak / (MAX_REFERENCE_REPLICAS * HPA_DEFAULTS.target);
  const value = Math.max(byMedian, byPeak, 1e-12);
  return { value, rule: value === byMedian ? `median load = ${REFERENCE_REPLICAS} pods at ${HPA_DEFAULTS.target * 100}% target` : `peak load = ${MAX_REFERENCE_REPLICAS} pods at ${HPA_DEFAULTS.target * 100}% target` };
}

/**
 * How the pre-scaler turns a forecaster into minReplicas: the quantile of its upper bound over the lead
 * time and the cool-down before a raised level is released (the HPA's own 5-minute scale-down
 * stabilisation still applies after that). A shared hyper-parameter like a SelectorConfig: the
 * leave-traces-out evaluation chooses one on the tuning traces (evaluation.ts).
 */
export interface PrescalePolicy {
  readonly name: string;
  /** A fixed bound quantile, or (`price`) one chosen per series and refit by Forecaster.quantileFor. */
  readonly quantile?: number;
  readonly price?: number;
  /**
   * A bound quantile chosen per series and refit by replaying its own validation window through the
   * simulator (Forecaster.quantileBySim): the fewest replica-minutes + simPrice × over-capacity minutes
   * (simPrice in replica-minutes per over-capacity minute).
   */
  readonly simPrice?: number;
  readonly cooldownMinutes: number;
}

/**
 * Replays load[from, to) through the HPA with the pre-scale policy fed by `upper(t)` (the bound decided
 * at t): the same loop the backtest's strategies and the per-series validation replay use.
 */
export function simulatePolicy(load: Float64Array, [from, to]: readonly [number, number], sim: SimOptions, bounds: ScalingBounds, upper: (t: number) => number): SimResult {
  let state: PolicyState = { current: bounds.floor, lastNeededAt: from };
  return simulate(load, from, to, sim, (t) => {
    const d = decide(upper(t), state, t, bounds);
    state = d.state;
    return d.minReplicas;
  });
}

/** Quantiles a priced policy chooses among. */
export const POLICY_QUANTILES: readonly number[] = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

const fixed = (quantile: number, cooldownMinutes: number): PrescalePolicy => ({ name: `q${quantile}/cd${cooldownMinutes}`, quantile, cooldownMinutes });
const priced = (price: number, cooldownMinutes: number): PrescalePolicy => ({ name: `price${price}/cd${cooldownMinutes}`, price, cooldownMinutes });
const simPriced = (simPrice: number, cooldownMinutes: number): PrescalePolicy => ({ name: `sim${simPrice}/cd${cooldownMinutes}`, simPrice, cooldownMinutes });

/** Prices (replica-minutes per over-capacity minute) of the simulation-priced policies. */
export const SIM_PRICES: readonly number[] = [25, 50, 100, 150, 200, 300, 400, 800];

/** The policies every backtest simulates; the first is the API's defaults (quantile 0.9, cool-down 15 minutes). */
export const PRESCALE_POLICIES: readonly PrescalePolicy[] = [
  fixed(0.9, 15), fixed(0.9, 5), fixed(0.8, 15), fixed(0.8, 5), fixed(0.7, 15), fixed(0.7, 5), fixed(0.5, 15),
  ...[2, 4, 5, 6, 7, 8, 12].flatMap((p) => [priced(p, 15), priced(p, 10), priced(p, 5)]),
  // Finer prices and a longer cool-down near the frontier the tuning traces found (session 10).
  ...[5.5, 6.5].flatMap((p) => [priced(p, 15), priced(p, 10)]), ...[5, 5.5, 6, 6.5].map((p) => priced(p, 20)),
];

/**
 * Priced on a replay of the series' own validation window through the simulator (session 14). Not in
 * PRESCALE_POLICIES: measured on the 12 traces their frontier is better, but the choice on the other folds
 * picked over-priced ones for held-out folds (−72.1% over-capacity for +23.0% replica-minutes); see docs.
 */
export const SIM_PRICED_POLICIES: readonly PrescalePolicy[] = SIM_PRICES.flatMap((p) => [simPriced(p, 10), simPriced(p, 15), simPriced(p, 20)]);

/** The simulator settings of the backtest's strategies (HPA defaults, timings converted to points). */
export function simOptions(step: number, startup: number, capacity: number): SimOptions {
  const pts = (seconds: number): number => Math.max(1, Math.round(seconds / step));
  return { ...HPA_DEFAULTS, capacity, startup, metricDelay: pts(60), downStabilization: pts(300), minReplicas: 1, maxReplicas: 10_000 };
}

/** The policy bounds the simulator uses (the policy's clock is the point index, so the cool-down is in points). */
export function simBounds(step: number, capacity: number, cooldownMinutes: number): ScalingBounds {
  const pts = (seconds: number): number => Math.max(1, Math.round(seconds / step));
  return { ...DEFAULT_BOUNDS, cooldownMinutes: cooldownMinutes > 0 ? pts(cooldownMinutes * 60) : 0, floor: 1, ceiling: 10_000, capacityPerPod: capacity };
}

/** Key of one (selector config, policy) simulation in SimulationReport.predictive. */
export const strategyKey = (config: string, policyName: string): string => `${config}|${policyName}`;

export interface SimulationReport {
  capacity: number;
  capacityRule: string;
  startupMinutes: number;
  leadTimeMinutes: number;
  reactive: SimResult;
  schedule: SimResult;
  /** Per selector config and pre-scale policy: strategyKey(config, policy). */
  predictive: Record<string, SimResult>;
}

export interface StrategyInput {
  testFrom: number;
  step: number;
  day: number;
  startup: number;
  leadTime: number;
  capacity: number;
  capacityRule: string;
  /** Upper bound of the load over (t, t + lead] per config under a policy, decided at t. */
  upper: Record<string, (t: number, policy: PrescalePolicy) => number>;
  policies?: readonly PrescalePolicy[];
}

function inMinutes(r: SimResult, step: number): SimResult {
  const k = step / 60;
  return { ...r, overCapacityMinutes: r.overCapacityMinutes * k, sloViolationMinutes: r.sloViolationMinutes * k, replicaMinutes: r.replicaMinutes * k, minutes: r.minutes * k };
}

export function simulateStrategies(raw: Float64Array, s: StrategyInput): SimulationReport {
  const sim = simOptions(s.step, s.startup, s.capacity);
  const withPolicy = (upper: (t: number) => number, cooldownMinutes = 15): SimResult => simulatePolicy(raw, [s.testFrom, raw.length], sim, simBounds(s.step, s.capacity, cooldownMinutes), upper);
  // Schedule only: yesterday's maximum over the same window, no model and no margin.
  const yesterday = (t: number): number => {
    let m = -Infinity;
    for (let k = 1; k <= s.leadTime; k++) m = Math.max(m, raw[Math.max(0, t + k - s.day)]!);
    return m;
  };
  const minutes = (points: number): number => (points * s.step) / 60;
  return {
    capacity: s.capacity, capacityRule: s.capacityRule, startupMinutes: minutes(s.startup), leadTimeMinutes: minutes(s.leadTime),
    reactive: inMinutes(simulate(raw, s.testFrom, raw.length, sim), s.step),
    schedule: inMinutes(withPolicy(yesterday), s.step),
    predictive: Object.fromEntries(Object.entries(s.upper).flatMap(([name, u]) => (s.policies ?? PRESCALE_POLICIES).map((pol) =>
      [strategyKey(name, pol.name), inMinutes(withPolicy((t) => u(t, pol), pol.cooldownMinutes), s.step)]))),
  };
}
