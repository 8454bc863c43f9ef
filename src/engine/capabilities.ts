// Where a cluster's capabilities come from, for every render of a stored environment (the engine's
// render step, the rollout preview): the list its registration declares (Cluster.capabilities), else
// its API discovery. One resolver, so a preview renders exactly what the rollout then applies.
import { probeCapabilities, type ClusterConnections } from '../adapters/kube/index.ts';
import type { ClusterCapability } from '../domain/capabilities.ts';
import type { Store } from '../domain/ports/store.ts';

export type CapabilitySource = (cluster: string) => Promise<readonly ClusterCapability[]>;

/** Declared, else discovered; `override` (tests, ADR 2001) replaces both. */
export function clusterCapabilitySource(store: Pick<Store, 'clusters'>, connections: Pick<ClusterConnections, 'get'>, override?: CapabilitySource): CapabilitySource {
  if (override) return override;
  return async (cluster) => {
    const declared = (await store.clusters.get(cluster))?.capabilities;
    if (declared) return declared;
    return probeCapabilities((await connections.get(cluster)).kube);
  };
}

