// The testbed's cluster-upgrade provider. Like a cloud provider's CLI (eksctl, gcloud, az), it runs
// the testbed's own command, `testbed/cli.ts upgrade fp-N --to V`, as a child process: that restarts
// the local cluster's kube-apiserver, controller-manager and scheduler on the new release (same
// etcd), then its kwok nodes; a no-op when the cluster already runs it, refused for a downgrade or a
// skipped minor. The registered cluster's name is the testbed's (fp-N). A child process rather than
// an import keeps the testbed out of the product's module graph (test/architecture.test.ts).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClusterUpgradeProvider } from '../../domain/ports/cluster-upgrade.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function testbedUpgradeProvider(): ClusterUpgradeProvider {
  return {
    name: 'testbed',
    upgrade(cluster, to, log) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'testbed/cli.ts', 'upgrade', cluster.name, '--to', to], {
          cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
        });
        let last = '';
        for (const stream of [child.stdout, child.stderr]) {
          createInterface({ input: stream }).on('line', (line) => {
            last = line;
            log(line);
          });
        }
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`testbed upgrade ${cluster.name} --to ${to} exited ${code}: ${last}`))));
      });
    },
  };
}
