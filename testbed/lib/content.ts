// What `up` puts into every cluster: the kwok node mix and the upstream CRDs, then waits until the
// nodes are Ready, the CRDs Established and the controller manager has made the default service account.
import path from 'node:path';
import { findBinary } from './config.ts';
import { ensureCrds, REQUIRED_CRDS } from './crds.ts';
import { run } from './exec.ts';
import { nodesFor, GENERAL_NODES, GPU_NODES } from './nodes.ts';
import type { ClusterFiles } from './pki.ts';
import { isAlive, type ProcRecord } from './proc.ts';
import { waitFor } from './api.ts';

export function kubectl(f: ClusterFiles, args: string[], input?: string): Promise<string> {
  const base = [`--kubeconfig=${f.kubeconfig('admin')}`, `--cache-dir=${path.join(f.dir, 'kubectl-cache')}`];
  return run(findBinary('kubectl').file, [...base, ...args], input === undefined ? {} : { input });
}

function assertRunning(procs: ProcRecord[], f: ClusterFiles): void {
  const dead = procs.filter((p) => !isAlive(p)).map((p) => p.name);
  if (dead.length) throw new Error(`${dead.join(', ')} exited; see ${path.join(f.dir, 'logs')}`);
}

export async function installContent(name: string, index: number, f: ClusterFiles, procs: ProcRecord[]): Promise<void> {
  // Client-side apply: a create keeps the Node status (capacity, allocatable) we send.
  await kubectl(f, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodesFor(name, index) }));
  const crds = await ensureCrds();
  // Server-side apply: several upstream CRDs exceed the last-applied annotation size limit.
  await kubectl(f, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetplane-testbed', ...crds.flatMap((c) => ['-f', c])]);
  await kubectl(f, ['wait', '--for=condition=Established', '--timeout=180s', ...REQUIRED_CRDS.map((c) => `crd/${c}`)]);
  await kubectl(f, ['wait', '--for=condition=Ready', '--timeout=180s', 'node', '-l', 'type=kwok']);
  await waitFor(`${name} default service account`, async () => {
    assertRunning(procs, f);
    await kubectl(f, ['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']);
    return true;
  }, 120_000, 500);
  const ready = (await kubectl(f, ['get', 'nodes', '-l', 'type=kwok', '-o', 'name'])).split('\n').filter(Boolean).length;
  if (ready < GENERAL_NODES + GPU_NODES) throw new Error(`${name}: expected ${GENERAL_NODES + GPU_NODES} nodes, found ${ready}`);
  assertRunning(procs, f);
}
