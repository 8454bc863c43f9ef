// Defaults of the engine's tuning, in one place: startEngine applies them to what its caller left
// out, and src/config.ts to FLEETPLANE_* variables that are not set (docs/configuration.md).
export const ENGINE_DEFAULTS = {
  concurrency: 16,
  leaseMs: 30_000,
  pollMs: 500,
  verifyTimeoutMs: 5 * 60_000,
  /**
   * Verify through Argo CD waits at least this long (unless FLEETPLANE_GITOPS_VERIFY_TIMEOUT says
   * otherwise): a GitOps delivery is a commit that Argo CD fetches, diffs and syncs with its own
   * bounded parallelism, so under an onboarding storm it lags a direct apply by minutes.
   */
  gitopsVerifyMinMs: 10 * 60_000,
  verifyAttempts: 2,
  verifyHoldMs: 2000,
  cpuOvercommit: 2,
  memoryOvercommit: 1.5,
  reconcileIntervalMs: 60_000,
  clusterRefreshIntervalMs: 60_000,
  /** A cluster failing its heartbeat this long is Unavailable (docs/clusters.md "Health"). */
  clusterUnavailableAfterMs: 90_000,
  placementPolicy: 'spread' as 'spread' | 'binpack' | 'cost',
} as const;
