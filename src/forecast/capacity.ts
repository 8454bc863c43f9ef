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

export interface SimulationReport {
  capacity: number;
  capacityRule: string;
  startupMinutes: number;
  leadTimeMinutes: number;
  reactive: SimResult;
  schedule: SimResult;
  /** Per selector config name. */
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
  /** Upper bound of the load over (t, t + lead] per config, decided at t. */
  upper: Record<string, (t: number) => number>;
}

function inMinutes(r: SimResult, step: number): SimResult {
  const k = step / 60;
  return { ...r, overCapacityMinutes: r.overCapacityMinutes * k, sloViolationMinutes: r.sloViolationMinutes * k, replicaMinutes: r.replicaMinutes * k, minutes: r.minutes * k };
}

export function simulateStrategies(raw: Float64Array, s: StrategyInput): SimulationReport {
  const pts = (seconds: number): number => Math.max(1, Math.round(seconds / s.step));
  const sim: SimOptions = { ...HPA_DEFAULTS, capacity: s.capacity, startup: s.startup, metricDelay: pts(60), downStabilization: pts(300), minReplicas: 1, maxReplicas: 10_000 };
  // The policy's clock is the point index here, so its cool-down is given in points too.
  const bounds: ScalingBounds = { ...DEFAULT_BOUNDS, cooldownMinutes: pts(15 * 60), floor: 1, ceiling: 10_000, capacityPerPod: s.capacity };
  const withPolicy = (upper: (t: number) => number): SimResult => {
    let state: PolicyState = { current: 1, lastNeededAt: s.testFrom };
    return simulate(raw, s.testFrom, raw.length, sim, (t) => {
      const d = decide(upper(t), state, t, bounds);
      state = d.state;
      return d.minReplicas;
    });
  };
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
    predictive: Object.fromEntries(Object.entries(s.upper).map(([name, u]) => [name, inMinutes(withPolicy(u), s.step)])),
  };
}
