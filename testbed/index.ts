// Public API of the testbed for other TypeScript code (test helpers, benchmarks, the demo):
//   ensureTestbed({clusters})  builds what is missing, starts missing/unhealthy clusters fp-1..fp-N,
//                              reuses healthy ones, and returns their status (all healthy or it throws);
//                              {names: ['fp-4'], version: 'v1.36.3'} picks clusters and their version;
//                              clusters older than the version are upgraded in place (or recreated)
//   upgradeCluster(name, to)   in-place control-plane upgrade, one minor at a time, never down
//   testbedStatus()            status of every cluster that has state on this machine
//   testbedDown()              stops every process and removes all cluster state (not the binaries)
//   binaryPath(name)           absolute path of a pinned binary (kubectl, helm, kwokctl, etcd, argocd, …)
//   argocdUp() / argocdDown()  Argo CD's controllers and repo server as local processes (lib/argocd.ts)
//   kserveUp() / kserveDown()  KServe's controller manager as a local process against fp-3 (lib/kserve.ts)
//   stopApiServer(name) / startApiServer(name)  an outage: the cluster's kube-apiserver process stopped
//                              and started again on its data (lib/outage.ts; fp-1..3 refused)
import { existsSync } from 'node:fs';
import { buildAll } from './lib/build.ts';
import { MAX_CLUSTERS, clusterDir, clusterIndex, clusterName, clusterStatus, knownClusters, removeCluster, startCluster, type ClusterStatus } from './lib/cluster.ts';
import { COMPONENTS, DEFAULT_KUBE_VERSION, KUBE_RELEASES, componentDir, findBinary, kubeComponentOf, stateRoot } from './lib/config.ts';
import { ensureClusters } from './lib/ensure.ts';
import { withLock } from './lib/lock.ts';
import { isAlive, readProcs } from './lib/proc.ts';
import { upgradeInPlace, type UpgradeResult } from './lib/upgrade.ts';
import { startApiServerProcess, stopApiServerProcess, type OutageOptions } from './lib/outage.ts';
import path from 'node:path';

export type { ClusterStatus } from './lib/cluster.ts';
export type { UpgradeResult } from './lib/upgrade.ts';
export { buildAll } from './lib/build.ts';
export {
  argocdUp, argocdDown, argocdStatus, argocdGitRepo, argocdRemoveGitRepo, argocdLogPath, ARGOCD_NAMESPACE, ARGOCD_VERSION,
  type ArgocdStatus, type ArgocdUpOptions, type GitRepoCredentials,
} from './lib/argocd.ts';
import { KSERVE_CLUSTER, kserveDown } from './lib/kserve.ts';
import { argocdDown } from './lib/argocd.ts';
export { kserveUp, kserveDown, kserveStatus, KSERVE_CLUSTER, KSERVE_NAMESPACE, KSERVE_VERSION, SERVING_RUNTIME, type KserveStatus } from './lib/kserve.ts';
export { repositorySecret } from './lib/argocd-objects.ts';
export { DEFAULT_STORAGE_CLASS } from './lib/content.ts';
export { REQUIRED_CRDS } from './lib/crds.ts';
/** The pinned default Kubernetes release and every release this testbed builds (newest first). */
export { DEFAULT_KUBE_VERSION };
export const KUBERNETES_VERSIONS: readonly string[] = KUBE_RELEASES.map((r) => r.version);

export interface EnsureOptions {
  /** fp-1..fp-N (default 3), unless `names` is given. */
  clusters?: number;
  /** Exactly these clusters, e.g. ['fp-4', 'fp-5']. */
  names?: string[];
  /** Kubernetes release for new clusters (and to bring existing ones to); default DEFAULT_KUBE_VERSION. */
  version?: string;
  /** Also build the binaries these clusters do not need (other releases, helm); default true. */
  buildRest?: boolean;
  log?: (line: string) => void;
}

const defaultLog = (line: string) => process.stderr.write(line + '\n');

export async function testbedStatus(): Promise<ClusterStatus[]> {
  return Promise.all((await knownClusters()).map((i) => clusterStatus(i)));
}

function indexesOf(opts: EnsureOptions): number[] {
  if (opts.names?.length) return [...new Set(opts.names.map(clusterIndex))];
  const count = opts.clusters ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTERS) throw new Error(`--clusters must be an integer from 1 to ${MAX_CLUSTERS}, got ${count}`);
  return Array.from({ length: count }, (_, i) => i + 1);
}

export async function ensureTestbed(opts: EnsureOptions = {}): Promise<ClusterStatus[]> {
  const log = opts.log ?? defaultLog;
  const statuses = await ensureClusters({ indexes: indexesOf(opts), log, ...(opts.version ? { version: opts.version } : {}) });
  // The rest (the previous Kubernetes minor, helm for the render benchmark) once the clusters are up,
  // so a cold CI run has every binary the tests use.
  if (opts.buildRest !== false) await buildAll({ log });
  return statuses;
}

/**
 * Upgrades a running cluster's control plane in place to `to` (a release this testbed builds):
 * kube-apiserver, controller-manager and scheduler in turn on the same etcd data, then its kwok nodes.
 * Refuses a downgrade or skipping a minor with a one-line error.
 */
export async function upgradeCluster(name: string, to: string, log: (line: string) => void = defaultLog): Promise<UpgradeResult> {
  const index = clusterIndex(name);
  kubeComponentOf(to);
  if (!(await knownClusters()).includes(index)) throw new Error(`no such cluster: ${name}`);
  await buildAll({ log, only: [`kubernetes@${to}`] });
  return withLock(stateRoot(), () => upgradeInPlace(index, to, log));
}

/**
 * Stops the named cluster's kube-apiserver process (the rest of the cluster keeps running), e.g. to
 * test an outage; `startApiServer` brings it back on the same data. The shared clusters fp-1..fp-3
 * are refused unless `shared` is set. Not under the state lock (lib/outage.ts says why).
 */
export async function stopApiServer(name: string, o: OutageOptions = {}): Promise<{ pid: number }> {
  const index = clusterIndex(name);
  if (!(await knownClusters()).includes(index)) throw new Error(`no such cluster: ${name}`);
  return stopApiServerProcess(index, o);
}

/** Starts the named cluster's kube-apiserver again (after stopApiServer) and waits for /readyz. */
export async function startApiServer(name: string, o: OutageOptions = {}): Promise<{ pid: number }> {
  const index = clusterIndex(name);
  if (!(await knownClusters()).includes(index)) throw new Error(`no such cluster: ${name}`);
  return startApiServerProcess(index, o);
}

/** Stops and removes the named clusters (e.g. ["fp-4"]), or all of them when `names` is empty. */
export async function testbedDown(names: string[] = []): Promise<string[]> {
  // KServe's manager runs against fp-3: stop it with its cluster (before the state lock: it reads the
  // cluster's status), or it outlives it and holds its port (a later testbed's kserveUp finds it taken).
  if (names.length === 0 || names.includes(`fp-${KSERVE_CLUSTER}`)) await kserveDown();
  // Argo CD's processes run against fp-1 (its management cluster): the same.
  if (names.length === 0 || names.includes('fp-1')) await argocdDown();
  return withLock(stateRoot(), async () => {
    const known = await knownClusters();
    const unknown = names.filter((n) => !known.some((i) => `fp-${i}` === n));
    if (unknown.length) throw new Error(`no such cluster: ${unknown.join(', ')} (known: ${known.map((i) => `fp-${i}`).join(', ') || 'none'})`);
    const indexes = names.length ? known.filter((i) => names.includes(`fp-${i}`)) : known;
    await Promise.all(indexes.map((i) => removeCluster(i)));
    return indexes.map((i) => `fp-${i}`);
  });
}

/**
 * Absolute path of a pinned binary (control-plane binaries: of `kubeVersion`, default the pinned
 * default release); throws naming `npm run testbed -- build` when it is not built.
 */
export function binaryPath(name: string, kubeVersion?: string): string {
  const { file } = findBinary(name, kubeVersion);
  if (!existsSync(file)) throw new Error(`${name} is not built yet (${file}); run "npm run testbed -- build"`);
  return file;
}

/** Every pinned binary; control-plane binaries of releases other than the default are keyed name@version. */
export function allBinaryPaths(): Record<string, { path: string; version: string; built: boolean }> {
  const out: Record<string, { path: string; version: string; built: boolean }> = {};
  for (const c of COMPONENTS) {
    for (const b of Object.keys(c.binaries)) {
      const file = `${componentDir(c)}/${b}`;
      const key = c.name === 'kubernetes' && c.version !== DEFAULT_KUBE_VERSION ? `${b}@${c.version}` : b;
      out[key] = { path: file, version: c.version, built: existsSync(file) };
    }
  }
  return out;
}

/** Live processes of every cluster ({cluster, name, pid}), e.g. to inspect sockets or memory. */
export async function testbedProcesses(): Promise<Array<{ cluster: string; name: string; pid: number }>> {
  const out: Array<{ cluster: string; name: string; pid: number }> = [];
  for (const i of await knownClusters()) {
    const procs = await readProcs(path.join(clusterDir(clusterName(i)), 'pids.json'));
    for (const p of procs.filter(isAlive)) out.push({ cluster: clusterName(i), name: p.name, pid: p.pid });
  }
  return out;
}

/** Restarts the named (or all) clusters on their existing data, e.g. after the testbed's flags changed. */
export async function testbedRestart(names: string[] = [], log: (line: string) => void = defaultLog): Promise<ClusterStatus[]> {
  return withLock(stateRoot(), async () => {
    const known = await knownClusters();
    const picked = names.length ? known.filter((i) => names.includes(clusterName(i))) : known;
    if (names.length && picked.length !== names.length) throw new Error(`no such cluster among ${names.join(', ')} (known: ${known.map(clusterName).join(', ') || 'none'})`);
    const out: ClusterStatus[] = [];
    // One at a time, so the other clusters stay available to whoever is using them.
    for (const i of picked) out.push(await startCluster(i, log));
    return out;
  });
}
