// Capacity simulator (pure): replays a load trace point by point through pods of fixed capacity that take
// `startup` points to become ready, driven by a Kubernetes-like HPA (utilization target, 10% tolerance,
// scale-down stabilization window) and optionally a minReplicas schedule from the pre-scaler. Times are in
// points of the trace's step; callers convert to minutes.

export interface SimOptions {
  /** Load one pod can serve; above ready·capacity the point counts as over capacity. */
  capacity: number;
  /** Points from pod creation to ready (start-up + readiness). */
  startup: number;
  /** HPA target utilization (0..1). */
  target: number;
  /** Points the HPA's metric lags reality (metrics pipeline). */
  metricDelay: number;
  /** Scale-down stabilization window (points): the HPA keeps the highest recommendation seen in it. */
  downStabilization: number;
  tolerance: number;
  minReplicas: number;
  maxReplicas: number;
}

export const HPA_DEFAULTS = { target: 0.7, metricDelay: 1, downStabilization: 5, tolerance: 0.1 } as const;

export interface SimResult {
  /** Points where load exceeded ready capacity. */
  overCapacityMinutes: number;
  /**
   * Points where demand waited: over capacity, or still draining the backlog that over-capacity points
   * left (load above capacity is queued and served later, at the capacity left over). A request that waits
   * breaks a latency SLO even after the load has fallen again.
   */
  sloViolationMinutes: number;
  /** Sum over points of pods that exist (ready or starting): what is paid for. */
  replicaMinutes: number;
  peakReplicas: number;
  lowestReplicas: number;
  minutes: number;
}

/**
 * Simulates points [from, to). `minReplicasAt(t)` is the pre-scaler's minReplicas decided at t (absent:
 * reactive HPA alone). The HPA takes the max of its own recommendation and minReplicas.
 */
export function simulate(load: Float64Array, from: number, to: number, o: SimOptions, minReplicasAt?: (t: number) => number): SimResult {
  const initial = Math.min(o.maxReplicas, Math.max(o.minReplicas, Math.ceil(load[from]! / (o.capacity * o.target))));
  let readyAt: number[] = Array.from({ length: initial }, () => from);
  const recs: number[] = [];
  const res: SimResult = { overCapacityMinutes: 0, sloViolationMinutes: 0, replicaMinutes: 0, peakReplicas: initial, lowestReplicas: initial, minutes: 0 };
  let backlog = 0;
  for (let t = from; t < to; t++) {
    const ready = readyAt.filter((r) => r <= t).length;
    const served = ready * o.capacity;
    const over = load[t]! > served * (1 + 1e-9);
    if (over) res.overCapacityMinutes++;
    if (over || backlog > 1e-9 * served) res.sloViolationMinutes++;
    backlog = Math.max(0, backlog + load[t]! - served);
    res.replicaMinutes += readyAt.length;
    res.minutes++;
    const desired = hpaDesired(load[Math.max(from, t - o.metricDelay)]!, ready, readyAt.length, o, recs);
    const floor = Math.max(o.minReplicas, minReplicasAt ? minReplicasAt(t) : 0);
    const want = Math.min(o.maxReplicas, Math.max(floor, desired));
    readyAt = resize(readyAt, want, t + 1 + o.startup);
    res.peakReplicas = Math.max(res.peakReplicas, readyAt.length);
    res.lowestReplicas = Math.min(res.lowestReplicas, readyAt.length);
  }
  return res;
}

function hpaDesired(observed: number, ready: number, current: number, o: SimOptions, recs: number[]): number {
  const ratio = ready > 0 ? observed / (ready * o.capacity * o.target) : Infinity;
  let raw = Math.abs(ratio - 1) <= o.tolerance ? current : Math.ceil(observed / (o.capacity * o.target) - 1e-9);
  raw = Math.max(1, raw);
  recs.push(raw);
  if (recs.length > o.downStabilization) recs.shift();
  // Scale up at once; scale down only to the highest recommendation within the stabilization window.
  return raw >= current ? raw : Math.min(current, Math.max(...recs));
}

function resize(readyAt: number[], want: number, newReadyAt: number): number[] {
  if (want > readyAt.length) return readyAt.concat(Array.from({ length: want - readyAt.length }, () => newReadyAt));
  if (want < readyAt.length) {
    // Like the ReplicaSet controller: delete not-yet-ready (newest) pods first.
    return [...readyAt].sort((a, b) => a - b).slice(0, want);
  }
  return readyAt;
}
