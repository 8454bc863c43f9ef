// A driver-facing ClusterClient for tests that call a driver outside a running operation: the real
// fenced client (engine/clusters.ts fencedClient) with a fence that always holds.
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { fencedClient } from '../../src/engine/clusters.ts';
import type { ClusterClient } from '../../src/engine/drivers/types.ts';

export function testClusterClient(cluster: string, kube: KubeClient, operation = 'test'): ClusterClient {
  return fencedClient(cluster, kube, { assertLease: () => undefined, signal: new AbortController().signal, worker: 'test', operation, now: () => new Date() });
}
