// Cluster inventory: every FLEETPLANE_CLUSTER_REFRESH_INTERVAL, read each registered cluster's
// schedulable capacity (Ready nodes' allocatable) and what Fleetplane environments reserve there
// (their ResourceQuotas' requests), and record both on the cluster (GET /v1/clusters shows it,
// placement uses it); fleetplane_cluster_up follows each read. Like Rancher's cluster status sync; an unreachable cluster keeps its last
// observation and is logged, never fatal.
import { setTimeout as sleep } from 'node:timers/promises';
import { sumCapacity, sumQuotaRequests } from '../adapters/kube/index.ts';
import { coerceError } from '../domain/errors.ts';
import { LABELS, MANAGED_BY, type Cluster, type ClusterCapacity } from '../domain/types.ts';
import { setClusterUp } from '../metrics/engine.ts';
import type { EngineDeps } from './context.ts';

export class ClusterInventory {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'connections' | 'logger' | 'now'>, private readonly intervalMs: number) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    // stop() must not wait for a slow cluster (a request may take up to its 30 s timeout): the pass
    // in flight is left to finish on its own.
    const stopped = new Promise<void>((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!this.stopping.signal.aborted) {
      const pass = this.refreshAll().catch((raw: unknown) => {
        this.deps.logger.warn({ err: coerceError(raw) }, 'cluster inventory pass failed');
      });
      await Promise.race([pass, stopped]);
      await sleep(this.intervalMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** One pass over every registered cluster; returns the capacities it recorded, by cluster. */
  async refreshAll(): Promise<Map<string, ClusterCapacity>> {
    const out = new Map<string, ClusterCapacity>();
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.clusters.list({ limit: 100, ...(cursor ? { cursor } : {}) });
      for (const c of page.items) {
        if (this.stopping.signal.aborted) return out;
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
      kube.list({ apiVersion: 'v1', kind: 'Node' }),
      kube.list({ apiVersion: 'v1', kind: 'ResourceQuota', labelSelector: `${LABELS.managedBy}=${MANAGED_BY}` }),
    ]);
    const reserved = sumQuotaRequests(quotas);
    const cap: ClusterCapacity = {
      ...sumCapacity(nodes), reservedCpuMillis: reserved.cpuMillis, reservedMemoryBytes: reserved.memoryBytes, observedAt: this.deps.now().toISOString(),
    };
    await this.deps.store.clusters.setCapacity(c.name, cap);
    return cap;
  }
}
