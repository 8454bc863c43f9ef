// The testbed's cluster-upgrade provider: testbed/index.ts upgradeCluster restarts the local
// cluster's kube-apiserver, controller-manager and scheduler on the new release (same etcd), then
// its kwok nodes; a no-op when the cluster already runs it, refused for a downgrade or a skipped
// minor. The registered cluster's name is the testbed's (fp-N).
import type { ClusterUpgradeProvider } from '../../engine/cluster-upgrades.ts';

export function testbedUpgradeProvider(): ClusterUpgradeProvider {
  return {
    name: 'testbed',
    async upgrade(cluster, to, log) {
      const { upgradeCluster } = await import('../../../testbed/index.ts');
      await upgradeCluster(cluster.name, to, log);
    },
  };
}
