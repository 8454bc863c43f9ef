// One testbed cluster: start its processes in dependency order, report its health, stop it.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CLUSTER_PREFIX, DEFAULT_KUBE_VERSION, clusterPorts, findBinary, stateRoot } from './config.ts';
import { apiGet, apiJson, portFree, sleep, waitFor, type ApiTarget } from './api.ts';
import { apiServerSpec, controllerManagerSpec, etcdSpec, kwokSpec, schedulerSpec, type ProcSpec } from './components.ts';
import { adminToken, clusterFiles, ensureSecrets, extractCa, writeKubeconfigs, type ClusterFiles } from './pki.ts';
import { isAlive, readProcs, startDetached, stopAll, writeProcs, type ProcRecord } from './proc.ts';
import { installContent } from './content.ts';
import { readRecord, recordedVersion, writeRecord } from './record.ts';

export interface ClusterStatus {
  name: string;
  apiServer: string;
  kubeconfig: string;
  healthy: boolean;
  nodes: number;
  /** The Kubernetes version the API server reports, or, when it does not answer, the recorded one. */
  version: string | null;
  /** Why the cluster is not healthy, when it is not. */
  problem?: string;
}

export const clusterName = (index: number) => `${CLUSTER_PREFIX}${index}`;
export const MAX_CLUSTERS = 20;

/** Index of a cluster name (fp-4 -> 4); a one-line error for anything else. */
export function clusterIndex(name: string): number {
  const m = new RegExp(`^${CLUSTER_PREFIX}(\\d+)$`).exec(name);
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CLUSTERS) throw new Error(`invalid cluster name "${name}" (expected ${CLUSTER_PREFIX}1 … ${CLUSTER_PREFIX}${MAX_CLUSTERS})`);
  return n;
}
export const clusterDir = (name: string) => path.join(stateRoot(), name);
export const procsFile = (f: ClusterFiles) => path.join(f.dir, 'pids.json');
const apiUrl = (index: number) => `https://127.0.0.1:${clusterPorts(index).apiServer}`;

export async function apiTarget(index: number): Promise<ApiTarget> {
  const f = clusterFiles(clusterDir(clusterName(index)));
  return { server: apiUrl(index), ca: await fs.readFile(f.caFile, 'utf8'), token: await adminToken(f) };
}

/** Indexes of clusters that have a state dir (fp-1, fp-2, …), sorted. */
export async function knownClusters(): Promise<number[]> {
  const entries = await fs.readdir(stateRoot()).catch(() => [] as string[]);
  return entries
    .filter((e) => new RegExp(`^${CLUSTER_PREFIX}\\d+$`).test(e))
    .map((e) => Number(e.slice(CLUSTER_PREFIX.length)))
    .sort((a, b) => a - b);
}

interface NodeList {
  items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
}

export async function clusterStatus(index: number): Promise<ClusterStatus> {
  const name = clusterName(index);
  const f = clusterFiles(clusterDir(name));
  const base: ClusterStatus = { name, apiServer: apiUrl(index), kubeconfig: f.kubeconfig('admin'), healthy: false, nodes: 0, version: existsSync(f.dir) ? await recordedVersion(f.dir) : null };
  const procs = await readProcs(procsFile(f));
  const dead = procs.filter((p) => !isAlive(p)).map((p) => p.name);
  if (procs.length === 0) return { ...base, problem: 'not running' };
  if (dead.length > 0) return { ...base, problem: `not running: ${dead.join(', ')}` };
  try {
    const t = await apiTarget(index);
    const ready = await apiGet(t, '/readyz');
    const version = (await apiJson<{ gitVersion: string }>(t, '/version')).gitVersion;
    const nodes = (await apiJson<NodeList>(t, '/api/v1/nodes')).items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    const healthy = ready.status === 200;
    return { ...base, healthy, nodes, version, ...(healthy ? {} : { problem: `readyz: HTTP ${ready.status}` }) };
  } catch (err) {
    return { ...base, problem: err instanceof Error ? err.message : String(err) };
  }
}

export async function stopCluster(index: number): Promise<void> {
  const f = clusterFiles(clusterDir(clusterName(index)));
  // Reverse start order: clients first, etcd last.
  await stopAll((await readProcs(procsFile(f))).reverse());
  await writeProcs(procsFile(f), []);
}

export async function removeCluster(index: number): Promise<void> {
  await stopCluster(index);
  await fs.rm(clusterDir(clusterName(index)), { recursive: true, force: true });
}

export async function launch(spec: ProcSpec, f: ClusterFiles, procs: ProcRecord[]): Promise<ProcRecord> {
  const binary = findBinary(spec.binary, spec.kubeVersion).file;
  if (!existsSync(binary)) throw new Error(`${binary} is not built; run "npm run testbed -- build"`);
  for (const file of spec.files ?? []) await fs.writeFile(file.path, file.content);
  const rec = startDetached(spec.name, binary, spec.args, path.join(f.dir, 'logs'));
  procs.push(rec);
  return rec;
}

export async function assertPortsFree(index: number, only?: Array<keyof ReturnType<typeof clusterPorts>>): Promise<void> {
  // Just after a stop the kernel may not have released a listener yet (seen on restart under load).
  for (const [what, port] of Object.entries(clusterPorts(index)).filter(([w]) => !only || (only as string[]).includes(w))) {
    let free = await portFree(port);
    for (let i = 0; !free && i < 50; i++) {
      await sleep(200);
      free = await portFree(port);
    }
    if (!free) throw new Error(`port ${port} (${what} of ${clusterName(index)}) is in use by another process; stop it or run "npm run testbed -- down"`);
  }
}

async function logTail(f: ClusterFiles, name: string): Promise<string> {
  const text = await fs.readFile(path.join(f.dir, 'logs', `${name}.log`), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Waits for `check`, failing fast (with the log tail) if the process dies meanwhile. */
export async function waitAlive(rec: ProcRecord, f: ClusterFiles, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await waitFor(what, async () => {
    if (!isAlive(rec)) throw new Error(`${rec.name} exited; log tail:\n${await logTail(f, rec.name)}`);
    return check();
  }, timeoutMs);
}

/** A restart keeps the recorded version; only a new cluster takes `kubeVersion` (or the default). */
async function versionToStart(name: string, f: ClusterFiles, kubeVersion?: string): Promise<string> {
  const existing = existsSync(f.dir) ? await recordedVersion(f.dir) : undefined;
  if (existing && kubeVersion && existing !== kubeVersion) throw new Error(`${name} runs ${existing}, not ${kubeVersion}; upgrade it (npm run testbed -- upgrade ${name} --to ${kubeVersion}) or remove it first`);
  return existing ?? kubeVersion ?? DEFAULT_KUBE_VERSION;
}

/** Recorded before the first start, so a cluster that fails to come up still says what it is. */
async function recordStart(name: string, f: ClusterFiles, version: string, log: (line: string) => void): Promise<void> {
  const record = await readRecord(f.dir);
  if (!record) await writeRecord(f.dir, { kubernetesVersion: version, createdAt: new Date().toISOString(), upgrades: [] });
  else if (record.upgrading) log(`[testbed] ${name}: finishing the interrupted upgrade ${record.upgrading.from} -> ${record.upgrading.to} (all components start on ${version})`);
}

/**
 * Starts (or restarts on its existing data) cluster fp-<index> and waits until it is usable. A new
 * cluster runs `kubeVersion` (default: the pinned default release); an existing one runs the version
 * its state records (a restart never changes versions: upgrades do).
 */
export async function startCluster(index: number, log: (line: string) => void, kubeVersion?: string): Promise<ClusterStatus> {
  const name = clusterName(index);
  const f = clusterFiles(clusterDir(name));
  const version = await versionToStart(name, f, kubeVersion);
  await stopCluster(index).catch(() => undefined);
  await assertPortsFree(index);
  await fs.mkdir(path.join(f.dir, 'logs'), { recursive: true });
  await ensureSecrets(f);
  await recordStart(name, f, version, log);
  const procs: ProcRecord[] = [];
  const save = () => writeProcs(procsFile(f), procs);
  try {
    const etcd = await launch(etcdSpec(name, index, f), f, procs);
    await save();
    const etcdUrl = `http://127.0.0.1:${clusterPorts(index).etcdClient}/health`;
    await waitAlive(etcd, f, `${name} etcd`, async () => (await fetch(etcdUrl)).ok, 60_000);
    const api = await launch(apiServerSpec(index, f, version), f, procs);
    await save();
    await waitAlive(api, f, `${name} API server cert`, async () => existsSync(path.join(f.certDir, 'apiserver.crt')), 60_000);
    await extractCa(f);
    await writeKubeconfigs(f, name, apiUrl(index));
    const t = await apiTarget(index);
    await waitAlive(api, f, `${name} API server /readyz`, async () => (await apiGet(t, '/readyz')).status === 200, 180_000);
    for (const spec of [controllerManagerSpec(name, index, f, version), schedulerSpec(index, f, version), kwokSpec(f, version)]) await launch(spec, f, procs);
    await save();
    log(`[testbed] ${name}: API server ${version} ready at ${apiUrl(index)}; installing nodes and CRDs`);
    await installContent(name, index, f, procs, version);
    const now = await readRecord(f.dir);
    if (now?.upgrading) await writeRecord(f.dir, { ...now, upgrading: undefined });
  } catch (err) {
    await stopAll([...procs].reverse());
    await save();
    throw err;
  }
  return clusterStatus(index);
}
