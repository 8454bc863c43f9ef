// Capacity simulator (pure): replays a load trace (one point per minute) through pods of fixed capacity
// that take `startup` minutes to become ready, driven by a Kubernetes-like HPA (utilization target,
// 10% tolerance, scale-down stabilization window) and optionally a minReplicas schedule from the pre-scaler.

export interface SimOptions {
  /** Load one pod can serve; above ready·capacity the minute counts as over capacity. */
  capacity: number;
  /** Minutes from pod creation to ready (start-up + readiness). */
  startup: number;
  /** HPA target utilization (0..1). */
  target: number;
  /** Minutes the HPA's metric lags reality (metrics pipeline). */
  metricDelay: number;
  /** Scale-down stabilization window (minutes): the HPA keeps the highest recommendation seen in it. */
  downStabilization: number;
  tolerance: number;
  minReplicas: number;
  maxReplicas: number;
}

export const HPA_DEFAULTS = { target: 0.7, metricDelay: 1, downStabilization: 5, tolerance: 0.1 } as const;

export interface SimResult {
  /** Minutes where load exceeded ready capacity (SLO violations). */
  overCapacityMinutes: number;
  /** Sum over minutes of pods that exist (ready or starting): what is paid for. */
  replicaMinutes: number;
  peakReplicas: number;
  minutes: number;
}

/**
 * Simulates minutes [from, to). `minReplicasAt(t)` is the pre-scaler's minReplicas decided at minute t
 * (absent: reactive HPA alone). The HPA takes the max of its own recommendation and minReplicas.
 */
export function simulate(load: Float64Array, from: number, to: number, o: SimOptions, minReplicasAt?: (t: number) => number): SimResult {
  const initial = Math.min(o.maxReplicas, Math.max(o.minReplicas, Math.ceil(load[from]! / (o.capacity * o.target))));
  let readyAt: number[] = Array.from({ length: initial }, () => from);
  const recs: number[] = [];
  const res: SimResult = { overCapacityMinutes: 0, replicaMinutes: 0, peakReplicas: initial, minutes: 0 };
  for (let t = from; t < to; t++) {
    const ready = readyAt.filter((r) => r <= t).length;
    if (load[t]! > ready * o.capacity * (1 + 1e-9)) res.overCapacityMinutes++;
    res.replicaMinutes += readyAt.length;
    res.minutes++;
    const desired = hpaDesired(load[Math.max(from, t - o.metricDelay)]!, ready, readyAt.length, o, recs);
    const floor = Math.max(o.minReplicas, minReplicasAt ? minReplicasAt(t) : 0);
    const want = Math.min(o.maxReplicas, Math.max(floor, desired));
    readyAt = resize(readyAt, want, t + 1 + o.startup);
    res.peakReplicas = Math.max(res.peakReplicas, readyAt.length);
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
