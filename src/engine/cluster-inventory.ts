// Cluster inventory: every FLEETPLANE_CLUSTER_REFRESH_INTERVAL, read each registered cluster's
// schedulable capacity (Ready nodes' allocatable) and what Fleetplane environments reserve there
// (their ResourceQuotas' requests), and record both on the cluster (GET /v1/clusters shows it,
// placement uses it); fleetplane_cluster_up follows each read. Like Rancher's cluster status sync; an unreachable cluster keeps its last
// observation and is logged, never fatal.
import { sumCapacity, sumQuotaRequests } from '../adapters/kube/index.ts';
import { Ticker } from '../clock.ts';
import { coerceError } from '../domain/errors.ts';
import { LABELS, MANAGED_BY, type Cluster, type ClusterCapacity } from '../domain/types.ts';
import { setClusterUp } from '../metrics/engine.ts';
import type { EngineDeps } from './context.ts';

export class ClusterInventory {
  private readonly ticker: Ticker;

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'connections' | 'logger' | 'now'> & Partial<Pick<EngineDeps, 'clock'>>, intervalMs: number) {
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
        const cap = await this.refresh(c).catch((raw: unknown) => {
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
