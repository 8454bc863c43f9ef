// Cluster inventory and heartbeat: every FLEETPLANE_CLUSTER_REFRESH_INTERVAL, probe each registered
// cluster (GET /readyz, then /version: latency and gitVersion) and keep its Available condition
// (domain/cluster-health.ts: Suspect on the first failure, Unavailable after
// FLEETPLANE_CLUSTER_UNAVAILABLE_AFTER, Available again on the next good probe; placement avoids
// any cluster not Available), then read its schedulable capacity (Ready nodes' allocatable) and what Fleetplane environments reserve there
// (their ResourceQuotas' requests), and record both on the cluster (GET /v1/clusters shows it,
// placement uses it); fleetplane_cluster_up follows each read. Like Rancher's cluster status sync; an unreachable cluster keeps its last
// observation and is logged, never fatal.
import { sumCapacity, sumQuotaRequests } from '../adapters/kube/index.ts';
import { Ticker, systemClock } from '../clock.ts';
import { ENGINE_DEFAULTS } from './defaults.ts';
import { coerceError } from '../domain/errors.ts';
import { nextClusterHealth, type ProbeResult } from '../domain/cluster-health.ts';
import { LABELS, MANAGED_BY, type Cluster, type ClusterCapacity } from '../domain/types.ts';
import { setClusterUp } from '../metrics/engine.ts';
import type { EngineDeps } from './context.ts';

const PROBE_TIMEOUT_MS = 5_000;

export class ClusterInventory {
  private readonly ticker: Ticker;

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'connections' | 'logger' | 'now'> & Partial<Pick<EngineDeps, 'clock'>> & { config?: Pick<EngineDeps['config'], 'clusterUnavailableAfterMs'> }, intervalMs: number) {
    // stop() must not wait for a slow cluster (a request may take up to its 30 s timeout): the pass
    // in flight is left to finish on its own.
    this.ticker = new Ticker((signal) => this.refreshAll(signal), {
      intervalMs, clock: deps.clock, waitOnStop: false, onError: (err) => deps.logger.warn({ err }, 'cluster inventory pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One pass over every registered cluster (no new one once signal aborts); returns the capacities it recorded, by cluster. */
  async refreshAll(signal?: AbortSignal): Promise<Map<string, ClusterCapacity>> {
    const out = new Map<string, ClusterCapacity>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const c of page.items) {
        if (signal?.aborted) return out;
        const up = await this.heartbeat(c);
        const cap = !up ? null : await this.refresh(c).catch((raw: unknown) => {
          this.deps.logger.warn({ cluster: c.name, err: coerceError(raw) }, 'cluster inventory: could not read the cluster; keeping the last observation');
          return null;
        });
        // Each pass is also a probe: FleetplaneClusterDown then follows the engine, not only GET /v1/fleet/health.
        setClusterUp(c.name, cap !== null);
        if (cap) out.set(c.name, cap);
      }
      cursor = page.next;
    } while (cursor);
    return out;
  }

  /** Probes the cluster and records its health; true when it answered. */
  async heartbeat(c: Cluster): Promise<boolean> {
    const clock = this.deps.clock ?? systemClock;
    const t0 = clock.monotonic();
    let probe: ProbeResult;
    try {
      const { kube } = await this.deps.connections.get(c.name);
      await kube.readyz({ timeoutMs: PROBE_TIMEOUT_MS });
      const v = await kube.version({ timeoutMs: PROBE_TIMEOUT_MS });
      probe = { ok: true, at: this.deps.now(), latencyMs: Math.round(clock.monotonic() - t0), version: v.gitVersion };
    } catch (raw) {
      probe = { ok: false, at: this.deps.now(), error: coerceError(raw).message.split('\n')[0]!.slice(0, 200) };
    }
    const next = nextClusterHealth(c.health, probe, this.deps.config?.clusterUnavailableAfterMs ?? ENGINE_DEFAULTS.clusterUnavailableAfterMs);
    if (next.state !== c.health?.state) this.deps.logger.info({ cluster: c.name, from: c.health?.state ?? null, to: next.state, reason: next.reason, message: next.message }, 'cluster health changed');
    await this.deps.store.clusters.setHealth(c.name, next);
    c.health = next;
    return probe.ok;
  }

  private async refresh(c: Cluster): Promise<ClusterCapacity> {
    const { kube } = await this.deps.connections.get(c.name);
    const [nodes, quotas] = await Promise.all([
      kube.list('v1', 'Node'),
      kube.list('v1', 'ResourceQuota', { labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` }),
    ]);
    const reserved = sumQuotaRequests(quotas);
    const cap: ClusterCapacity = {
      ...sumCapacity(nodes), reservedCpuMillis: reserved.cpuMillis, reservedMemoryBytes: reserved.memoryBytes, observedAt: this.deps.now().toISOString(),
    };
    await this.deps.store.clusters.setCapacity(c.name, cap);
    return cap;
  }
}
