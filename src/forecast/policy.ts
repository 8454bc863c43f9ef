// From a forecast upper bound to an HPA minReplicas (pure): raise at once, lower only after a cool-down
// and past a hysteresis band, never outside [floor, ceiling]. Shared by the live pre-scaler and the
// capacity simulator, so what the benchmark measures is what runs.
import type { ScalingAction } from '../domain/scaling.ts';

export interface ScalingBounds {
  /** Never set minReplicas below this (the environment's configured floor). */
  floor: number;
  /** Never set minReplicas above this. */
  ceiling: number;
  /** Load one pod serves at its target (same unit as the metric). */
  capacityPerPod: number;
  /** Minutes a raised level is kept after the forecast last needed it. */
  cooldownMinutes: number;
  /** Ignore decreases smaller than this fraction of the current level (anti-flapping). */
  hysteresis: number;
}

export const DEFAULT_BOUNDS: Omit<ScalingBounds, 'floor' | 'ceiling' | 'capacityPerPod'> = { cooldownMinutes: 15, hysteresis: 0.1 };

export interface PolicyState {
  /** minReplicas currently set by the pre-scaler (the floor when it has not raised anything). */
  current: number;
  /** Minute (any monotonic minute clock) when the forecast last asked for at least `current`. */
  lastNeededAt: number;
}

export interface PolicyDecision {
  action: ScalingAction;
  minReplicas: number;
  /** What the forecast alone asked for, before cool-down and hysteresis. */
  wanted: number;
  reason: string;
  state: PolicyState;
}

export function wantedReplicas(upper: number, b: ScalingBounds): number {
  const raw = Number.isFinite(upper) && upper > 0 ? Math.ceil(upper / b.capacityPerPod - 1e-9) : 0;
  return Math.min(b.ceiling, Math.max(b.floor, raw));
}

/** One decision at minute `now` for a forecast upper bound of the load over the lead-time window. */
export function decide(upper: number, state: PolicyState, now: number, b: ScalingBounds): PolicyDecision {
  const wanted = wantedReplicas(upper, b);
  const current = Math.min(b.ceiling, Math.max(b.floor, state.current));
  if (wanted > current) {
    return { action: 'raise', minReplicas: wanted, wanted, reason: `forecast upper bound ${fmt(upper)} needs ${wanted} pods of ${fmt(b.capacityPerPod)}`, state: { current: wanted, lastNeededAt: now } };
  }
  if (wanted === current) {
    const action = current === b.floor ? 'noop' : 'hold';
    return { action, minReplicas: current, wanted, reason: current === b.floor ? 'forecast within floor' : 'forecast still needs the raised level', state: { current, lastNeededAt: now } };
  }
  const since = now - state.lastNeededAt;
  if (since < b.cooldownMinutes) {
    return { action: 'hold', minReplicas: current, wanted, reason: `cool-down: ${since} of ${b.cooldownMinutes} min since the forecast needed ${current}`, state: { current, lastNeededAt: state.lastNeededAt } };
  }
  const band = current * b.hysteresis;
  if (current - wanted < band && wanted > b.floor) {
    return { action: 'hold', minReplicas: current, wanted, reason: `hysteresis: ${wanted} is within ${fmt(band)} of ${current}`, state: { current, lastNeededAt: state.lastNeededAt } };
  }
  return { action: 'release', minReplicas: wanted, wanted, reason: `forecast needs only ${wanted}; releasing after ${since} min cool-down`, state: { current: wanted, lastNeededAt: now } };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x);
}
