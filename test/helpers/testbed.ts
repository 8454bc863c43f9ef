// Integration-test access to the testbed clusters.
//
//   const tb = await getTestbed();              // 3 ready clusters fp-1..fp-3 (FLEETPLANE_TEST_CLUSTERS to
//                                                // change the count, FLEETPLANE_TEST_CLUSTER_NAMES=fp-4,fp-5,fp-6
//                                                // to use other clusters); reuses running ones at the pinned
//                                                // default Kubernetes release, starts (and builds) the rest
//   const [c1] = tb.clusters;                   // { name, apiServer, kubeconfig, version, client() }
//   await withNamespace(c1, 'deploy', async (ns) => { … ns.name … ns.client … });   // deleted afterwards
//   const ns = await createNamespace(c1, 'x'); t.after(() => ns.delete());          // manual form
//
// Namespaces are named <prefix>-<random>, labelled fleetplane.io/test=true, and returned only once the
// controller manager has created their default service account (pods need it).
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../src/adapters/kube/index.ts';
import { DEFAULT_KUBE_VERSION, ensureTestbed, testbedStatus, type ClusterStatus } from '../../testbed/index.ts';

export interface TestCluster {
  name: string;
  apiServer: string;
  kubeconfig: string;
  version: string | null;
  /** A KubeClient for this cluster (one per cluster, shared within the process). */
  client(): KubeClient;
}

export interface Testbed {
  clusters: TestCluster[];
}

export interface TestNamespace {
  name: string;
  cluster: TestCluster;
  client: KubeClient;
  delete(): Promise<void>;
}

let cached: Promise<Testbed> | undefined;

function wantedClusters(): number {
  const n = Number(process.env.FLEETPLANE_TEST_CLUSTERS ?? 3);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FLEETPLANE_TEST_CLUSTERS must be a positive integer, got "${process.env.FLEETPLANE_TEST_CLUSTERS}"`);
  return n;
}

/** FLEETPLANE_TEST_CLUSTER_NAMES (e.g. "fp-4,fp-5,fp-6"), else fp-1..fp-N. */
export function wantedClusterNames(count: number = wantedClusters()): string[] {
  const names = (process.env.FLEETPLANE_TEST_CLUSTER_NAMES ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length) return names;
  return Array.from({ length: count }, (_, i) => `fp-${i + 1}`);
}

function toTestCluster(s: ClusterStatus): TestCluster {
  let client: KubeClient | undefined;
  return {
    name: s.name,
    apiServer: s.apiServer,
    kubeconfig: s.kubeconfig,
    version: s.version,
    client: () => (client ??= KubeClient.fromKubeconfig({ path: s.kubeconfig })),
  };
}

async function load(count: number): Promise<Testbed> {
  // Clusters on an older release (e.g. made by an older checkout) are brought to the default by `up`.
  const running = (await testbedStatus()).filter((s) => s.healthy && s.nodes > 0 && s.version === DEFAULT_KUBE_VERSION);
  const wanted = wantedClusterNames(count);
  let ready = wanted.map((n) => running.find((s) => s.name === n));
  if (ready.some((s) => !s)) {
    try {
      ready = await ensureTestbed({ names: wanted });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`testbed clusters are not available (${why}); start them with: npm run testbed -- up ${wanted.join(' ')}`, { cause: err });
    }
  }
  return { clusters: ready.map((s) => toTestCluster(s!)) };
}

/** Ready clusters fp-1..fp-N, shared by every test in this process. */
export function getTestbed(opts: { clusters?: number } = {}): Promise<Testbed> {
  const count = opts.clusters ?? wantedClusters();
  cached ??= load(Math.max(count, 1));
  return cached;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createNamespace(cluster: TestCluster, prefix: string): Promise<TestNamespace> {
  const client = cluster.client();
  const base = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40).replace(/^-+|-+$/g, '') || 'test';
  const name = `${base}-${randomBytes(4).toString('hex')}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'fleetplane.io/test': 'true' } } });
  for (let i = 0; i < 240 && !(await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: name, name: 'default' })); i++) await sleep(250);
  return {
    name,
    cluster,
    client,
    delete: async () => {
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagationPolicy: 'Background' });
    },
  };
}

/** Runs `fn` with a fresh namespace on `cluster` and deletes the namespace afterwards, pass or fail. */
export async function withNamespace<T>(cluster: TestCluster, prefix: string, fn: (ns: TestNamespace) => Promise<T>): Promise<T> {
  const ns = await createNamespace(cluster, prefix);
  try {
    return await fn(ns);
  } finally {
    await ns.delete();
  }
}

/** Deletes leftover test namespaces (label fleetplane.io/test=true), e.g. after an aborted run. */
export async function cleanupTestNamespaces(cluster: TestCluster): Promise<number> {
  const client = cluster.client();
  const leftovers = await client.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/test': 'true' } });
  await client.deleteAll(leftovers.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', name: n.metadata.name })));
  return leftovers.length;
}
