// Public API of the testbed for other TypeScript code (test helpers, benchmarks, the demo):
//   ensureTestbed({clusters})  builds what is missing, starts missing/unhealthy clusters fp-1..fp-N,
//                              reuses healthy ones, and returns their status (all healthy or it throws)
//   testbedStatus()            status of every cluster that has state on this machine
//   testbedDown()              stops every process and removes all cluster state (not the binaries)
//   binaryPath(name)           absolute path of a pinned binary (kubectl, helm, kwokctl, etcd, argocd, …)
//   argocdUp() / argocdDown()  Argo CD's controllers and repo server as local processes (lib/argocd.ts)
import { existsSync } from 'node:fs';
import { buildAll } from './lib/build.ts';
import { clusterDir, clusterName, clusterStatus, knownClusters, removeCluster, startCluster, type ClusterStatus } from './lib/cluster.ts';
import { COMPONENTS, componentDir, findBinary, stateRoot } from './lib/config.ts';
import { ensureCrds } from './lib/crds.ts';
import { withLock } from './lib/lock.ts';
import { GENERAL_NODES, GPU_NODES } from './lib/nodes.ts';
import { isAlive, readProcs } from './lib/proc.ts';
import path from 'node:path';

export type { ClusterStatus } from './lib/cluster.ts';
export { buildAll } from './lib/build.ts';
export {
  argocdUp, argocdDown, argocdStatus, argocdGitRepo, argocdRemoveGitRepo, argocdLogPath, ARGOCD_NAMESPACE, ARGOCD_VERSION,
  type ArgocdStatus, type ArgocdUpOptions, type GitRepoCredentials,
} from './lib/argocd.ts';
export { repositorySecret } from './lib/argocd-objects.ts';

export interface EnsureOptions {
  clusters?: number;
  log?: (line: string) => void;
}

const CLUSTER_COMPONENTS = ['kubernetes', 'etcd', 'kwok'];
const defaultLog = (line: string) => process.stderr.write(line + '\n');

export async function testbedStatus(): Promise<ClusterStatus[]> {
  return Promise.all((await knownClusters()).map((i) => clusterStatus(i)));
}

function usable(s: ClusterStatus): boolean {
  return s.healthy && s.nodes >= GENERAL_NODES + GPU_NODES;
}

export async function ensureTestbed(opts: EnsureOptions = {}): Promise<ClusterStatus[]> {
  const count = opts.clusters ?? 3;
  const log = opts.log ?? defaultLog;
  if (!Number.isInteger(count) || count < 1 || count > 20) throw new Error(`--clusters must be an integer from 1 to 20, got ${count}`);
  return withLock(stateRoot(), async () => {
    // Cluster binaries first; helm (only used by benchmarks) after the clusters are up.
    await buildAll({ log, only: CLUSTER_COMPONENTS });
    await ensureCrds();
    const indexes = Array.from({ length: count }, (_, i) => i + 1);
    const statuses = await Promise.all(
      indexes.map(async (i) => {
        const now = await clusterStatus(i);
        if (usable(now)) return now;
        const started = Date.now();
        log(`[testbed] starting ${now.name}${now.problem && now.problem !== 'not running' ? ` (was: ${now.problem})` : ''}`);
        const s = await startCluster(i, log);
        if (!usable(s)) throw new Error(`${s.name} did not become healthy: ${s.problem ?? `${s.nodes} Ready nodes`}`);
        log(`[testbed] ${s.name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${s.apiServer} (${s.nodes} nodes, ${s.version})`);
        return s;
      }),
    );
    await buildAll({ log });
    return statuses;
  });
}

/** Stops and removes the named clusters (e.g. ["fp-4"]), or all of them when `names` is empty. */
export async function testbedDown(names: string[] = []): Promise<string[]> {
  return withLock(stateRoot(), async () => {
    const known = await knownClusters();
    const unknown = names.filter((n) => !known.some((i) => `fp-${i}` === n));
    if (unknown.length) throw new Error(`no such cluster: ${unknown.join(', ')} (known: ${known.map((i) => `fp-${i}`).join(', ') || 'none'})`);
    const indexes = names.length ? known.filter((i) => names.includes(`fp-${i}`)) : known;
    await Promise.all(indexes.map((i) => removeCluster(i)));
    return indexes.map((i) => `fp-${i}`);
  });
}

/** Absolute path of a pinned binary; throws naming `npm run testbed -- build` when it is not built. */
export function binaryPath(name: string): string {
  const { file } = findBinary(name);
  if (!existsSync(file)) throw new Error(`${name} is not built yet (${file}); run "npm run testbed -- build"`);
  return file;
}

export function allBinaryPaths(): Record<string, { path: string; version: string; built: boolean }> {
  const out: Record<string, { path: string; version: string; built: boolean }> = {};
  for (const c of COMPONENTS) {
    for (const b of Object.keys(c.binaries)) {
      const file = `${componentDir(c)}/${b}`;
      out[b] = { path: file, version: c.version, built: existsSync(file) };
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
