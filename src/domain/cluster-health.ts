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
  return probe.ok ? afterSuccess(prev, probe) : afterFailure(prev, probe, unavailableAfterMs);
}

function afterSuccess(prev: ClusterHealth | undefined, probe: Extract<ProbeResult, { ok: true }>): ClusterHealth {
  const at = probe.at.toISOString();
  const same = prev?.state === 'Available';
  return {
    state: 'Available', reason: same ? prev.reason : prev ? 'Recovered' : 'ProbeSucceeded', message: `GET /readyz ok, ${probe.version}`,
    since: same ? prev.since : at, failingSince: null, consecutiveFailures: 0, lastProbeAt: at, latencyMs: probe.latencyMs, version: probe.version,
  };
}

function afterFailure(prev: ClusterHealth | undefined, probe: Extract<ProbeResult, { ok: false }>, unavailableAfterMs: number): ClusterHealth {
  const at = probe.at.toISOString();
  const failingSince = prev?.failingSince ?? at;
  const failingMs = probe.at.getTime() - Date.parse(failingSince);
  const state: ClusterAvailability = failingMs >= unavailableAfterMs ? 'Unavailable' : 'Suspect';
  const message = state === 'Unavailable'
    ? `unreachable for ${Math.round(failingMs / 1000)}s (bound ${Math.round(unavailableAfterMs / 1000)}s): ${probe.error}` : probe.error;
  return {
    state, reason: state === 'Unavailable' ? 'Unreachable' : 'ProbeFailed', message, since: prev?.state === state ? prev.since : at,
    failingSince, consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1, lastProbeAt: at, ...lastKnown(prev),
  };
}

/** What the last good probe read stays shown while the cluster fails. */
function lastKnown(prev: ClusterHealth | undefined): Pick<ClusterHealth, 'latencyMs' | 'version'> {
  const out: Pick<ClusterHealth, 'latencyMs' | 'version'> = {};
  if (prev?.latencyMs !== undefined) out.latencyMs = prev.latencyMs;
  if (prev?.version !== undefined) out.version = prev.version;
  return out;
}
