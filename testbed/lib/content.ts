// What `up` puts into every cluster: the kwok node mix, the default StorageClass and the upstream CRDs, then waits until the
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

interface Item {
  spec?: { taints?: Array<{ key: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

async function getJson<T>(f: ClusterFiles, args: string[]): Promise<{ items: T[] }> {
  return JSON.parse(await kubectl(f, [...args, '-o', 'json'])) as { items: T[] };
}

const hasTrue = (o: Item, type: string) => o.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** The default StorageClass: upstream's in-tree hostPath provisioner, enabled in the controller manager. */
export const DEFAULT_STORAGE_CLASS = 'standard';
const storageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'kubernetes.io/host-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

export async function installContent(name: string, index: number, f: ClusterFiles, procs: ProcRecord[], kubeVersion: string): Promise<void> {
  // Client-side apply: a create keeps the Node status (capacity, allocatable) we send.
  // --validate=strict: the server validates, so kubectl does not download /openapi/v2 first (with 39
  // CRDs that takes a loaded API server longer than kubectl's 32 s timeout).
  await kubectl(f, ['apply', '--validate=strict', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...nodesFor(name, index, kubeVersion), storageClass] }));
  const crds = await ensureCrds();
  // Server-side apply: several upstream CRDs exceed the last-applied annotation size limit.
  await kubectl(f, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetplane-testbed', ...crds.flatMap((c) => ['-f', c])]);
  // Polled rather than `kubectl wait`, which errors out while an object has no conditions yet.
  await waitFor(`${name} CRDs Established`, async () => {
    const crdList = await getJson<Item>(f, ['get', 'crd', ...REQUIRED_CRDS]);
    return crdList.items.length === REQUIRED_CRDS.length && crdList.items.every((c) => hasTrue(c, 'Established'));
    // 39 CRDs (several of 0.5-1 MB) take an API server minutes when the host is saturated.
  }, 600_000, 500);
  await waitFor(`${name} nodes Ready and untainted`, async () => {
    assertRunning(procs, f);
    const nodes = await getJson<Item>(f, ['get', 'nodes', '-l', 'type=kwok']);
    // Schedulable only once the node lifecycle controller has lifted its not-ready taint.
    const usable = nodes.items.filter((n) => hasTrue(n, 'Ready') && !n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/not-ready'));
    return usable.length >= GENERAL_NODES + GPU_NODES;
  }, 180_000, 500);
  await waitFor(`${name} default service account`, async () => {
    assertRunning(procs, f);
    await kubectl(f, ['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']);
    return true;
  }, 120_000, 500);
  assertRunning(procs, f);
}
