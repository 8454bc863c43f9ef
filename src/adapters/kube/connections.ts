// One cached Kubernetes client per registered cluster, built from its stored credentials, shared by
// everything in the process that talks to clusters: the engine's workers and loops, the pre-scaler
// and the API's fleet probes. Credentials (kubeconfig) come decrypted from the store and stay in
// memory only; they are never logged. Each call goes through `timeCall` (serve passes the cluster
// metrics). A failed connect is not cached; a cached one is rebuilt after ttlMs (credentials may
// have been rotated by another process) or at once after forget() (re-registered here).
import { assertInlineKubeconfig } from './credential-policy.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Cluster } from '../../domain/types.ts';
import { systemClock, type Clock } from '../../clock.ts';
import { KubeClient } from './client.ts';

/** Where clusters and their credentials are read (the store's `clusters`). */
export interface ClusterSource {
  get(name: string): Promise<Cluster | null>;
  credentials(name: string): Promise<string | null>;
}

/** Times one call against a cluster (metrics/engine.ts timeClusterCall has this shape). */
export type ClusterCallTimer = <T>(cluster: string, verb: string, call: () => Promise<T>) => Promise<T>;

export interface Connection {
  cluster: Cluster;
  kube: KubeClient;
}

export interface ClusterConnectionsOptions {
  ttlMs?: number;
  clock?: Pick<Clock, 'monotonic'>;
  timeCall?: ClusterCallTimer;
}

export class ClusterConnections {
  private readonly cache = new Map<string, { at: number; conn: Promise<Connection> }>();
  private readonly ttlMs: number;
  private readonly clock: Pick<Clock, 'monotonic'>;

  constructor(private readonly source: ClusterSource, private readonly opts: ClusterConnectionsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.clock = opts.clock ?? systemClock;
  }

  get(name: string): Promise<Connection> {
    const hit = this.cache.get(name);
    if (hit && this.clock.monotonic() - hit.at < this.ttlMs) return hit.conn;
    const conn = this.connect(name);
    this.cache.set(name, { at: this.clock.monotonic(), conn });
    conn.catch(() => {
      if (this.cache.get(name)?.conn === conn) this.cache.delete(name);
    });
    return conn;
  }

  /** The client alone (the pre-scaler's HPA port needs no more). */
  async client(name: string): Promise<KubeClient> {
    return (await this.get(name)).kube;
  }

  forget(name: string): void {
    this.cache.delete(name);
  }

  private async connect(name: string): Promise<Connection> {
    const cluster = await this.source.get(name);
    if (!cluster) throw new NotFoundError(`cluster ${name} is not registered`);
    const kubeconfig = await this.source.credentials(name);
    if (!kubeconfig) throw new NotFoundError(`cluster ${name} has no credentials`);
    // Checked again at use, not only when registered: credentials stored before the check existed
    // (or written around the API) never get to run a plugin or read a file here.
    assertInlineKubeconfig(kubeconfig);
    const timeCall = this.opts.timeCall;
    const timed = timeCall ? <T>(verb: string, call: () => Promise<T>) => timeCall(name, verb, call) : undefined;
    return { cluster, kube: KubeClient.fromKubeconfig({ content: kubeconfig }, timed) };
  }
}
