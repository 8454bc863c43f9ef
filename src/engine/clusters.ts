// One cached Kubernetes client per registered cluster. Credentials (kubeconfig) come decrypted from
// the store and stay in memory only; they are never logged. Calls are timed into the cluster metrics.
import { KubeClient as AdapterClient } from '../adapters/kube/index.ts';
import type { Store } from '../domain/ports/store.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Cluster } from '../domain/types.ts';
import { timeClusterCall } from '../metrics/engine.ts';
import type { KubeClient } from './drivers/types.ts';

export interface Connection {
  cluster: Cluster;
  kube: KubeClient;
}

/** Wraps the kube adapter's client in the driver-facing KubeClient, with per-call metrics. */
export function wrapClient(name: string, c: AdapterClient): KubeClient {
  return {
    cluster: name,
    apply: (obj, opts) => timeClusterCall(name, 'apply', () => c.apply(obj, {
      force: opts?.force ?? false, dryRun: opts?.dryRun ?? false, ...(opts?.fieldManager ? { fieldManager: opts.fieldManager } : {}),
      ...(opts?.signal ? { signal: opts.signal } : {}),
    })),
    get: (ref) => timeClusterCall(name, 'get', () => c.get(ref)),
    list: (q) => timeClusterCall(name, 'list', () => c.list(q.apiVersion, q.kind, {
      ...(q.namespace ? { namespace: q.namespace } : {}), ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
    })),
    delete: (ref, opts) => timeClusterCall(name, 'delete', () => c.delete(ref, {
      ...(opts?.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}), ...(opts?.signal ? { signal: opts.signal } : {}),
    })),
  };
}

export class ClusterConnections {
  private readonly cache = new Map<string, { at: number; conn: Promise<Connection> }>();

  constructor(private readonly store: Pick<Store, 'clusters'>, private readonly ttlMs = 5 * 60_000, private readonly now: () => number = Date.now) {}

  get(name: string): Promise<Connection> {
    const hit = this.cache.get(name);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.conn;
    const conn = this.connect(name);
    this.cache.set(name, { at: this.now(), conn });
    // A failed connect is not cached: the next call tries again.
    conn.catch(() => this.cache.delete(name));
    return conn;
  }

  forget(name: string): void {
    this.cache.delete(name);
  }

  private async connect(name: string): Promise<Connection> {
    const cluster = await this.store.clusters.get(name);
    if (!cluster) throw new NotFoundError(`cluster ${name} is not registered`);
    const kubeconfig = await this.store.clusters.credentials(name);
    if (!kubeconfig) throw new NotFoundError(`cluster ${name} has no credentials`);
    return { cluster, kube: wrapClient(name, AdapterClient.fromKubeconfig({ content: kubeconfig })) };
  }
}
