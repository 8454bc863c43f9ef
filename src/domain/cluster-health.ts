// A cluster's availability from its heartbeat probes (engine/cluster-inventory.ts runs one per
// interval): the first failure makes it Suspect (placement already avoids it, nothing is evacuated),
// failing for longer than the bound makes it Unavailable (reason and since recorded), and one good
// probe makes it Available again. Pure: the probe's time is passed in. Like a node's Ready condition
// going Unknown after node-monitor-grace-period, not on the first missed heartbeat.
import type { ClusterAvailability, ClusterHealth } from './types.ts';

export type ProbeResult =
  | { ok: true; at: Date; latencyMs: number; version: string }
  | { ok: false; at: Date; error: string };

/** Clusters placement may use: only Available ones, or ones never probed (before the first pass). */
export function isSchedulable(h: ClusterHealth | undefined): boolean {
  return h === undefined || h.state === 'Available';
}

/** The next health from the last one and a probe; `unavailableAfterMs` is the documented bound. */
export function nextClusterHealth(prev: ClusterHealth | undefined, probe: ProbeResult, unavailableAfterMs: number): ClusterHealth {
  const at = probe.at.toISOString();
  if (probe.ok) {
    const state: ClusterAvailability = 'Available';
    const since = prev?.state === state ? prev.since : at;
    const reason = prev && prev.state !== 'Available' ? 'Recovered' : 'ProbeSucceeded';
    return {
      state, reason: prev?.state === state ? prev.reason : reason, message: `GET /readyz ok, ${probe.version}`,
      since, failingSince: null, consecutiveFailures: 0, lastProbeAt: at, latencyMs: probe.latencyMs, version: probe.version,
    };
  }
  const failingSince = prev?.failingSince ?? at;
  const failingMs = probe.at.getTime() - Date.parse(failingSince);
  const state: ClusterAvailability = failingMs >= unavailableAfterMs ? 'Unavailable' : 'Suspect';
  const reason = state === 'Unavailable' ? 'Unreachable' : 'ProbeFailed';
  return {
    state, reason,
    message: state === 'Unavailable' ? `unreachable for ${Math.round(failingMs / 1000)}s (bound ${Math.round(unavailableAfterMs / 1000)}s): ${probe.error}` : probe.error,
    since: prev?.state === state ? prev.since : at,
    failingSince, consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1, lastProbeAt: at,
    ...(prev?.latencyMs !== undefined ? { latencyMs: prev.latencyMs } : {}),
    ...(prev?.version !== undefined ? { version: prev.version } : {}),
  };
}
