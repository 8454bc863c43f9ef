import type { Cluster } from '../types.ts';

/** What upgrades one cluster's Kubernetes (testbed, Cluster API, EKS, GKE, AKS: docs/clusters.md). */
export interface ClusterUpgradeProvider {
  readonly name: string;
  /** Upgrades the control plane (then its nodes) to `to`; resolves when done; a no-op when already there. */
  upgrade(cluster: Cluster, to: string, log: (line: string) => void): Promise<void>;
}
