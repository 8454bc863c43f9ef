// In-place control-plane upgrade of one testbed cluster, the order a managed cluster upgrades in:
// kube-apiserver, then kube-controller-manager, then kube-scheduler restart on the newer release's
// binaries, on the same etcd data, each followed by /readyz and all nodes Ready; then kwok restarts
// with the new version in its node stages, so every node reports the new kubelet version.
import https from 'node:https';
import path from 'node:path';
import { apiGet, apiRequest, waitFor } from './api.ts';
import { apiTarget, assertPortsFree, clusterDir, clusterName, launch, procsFile, waitAlive } from './cluster.ts';
import { clusterPorts } from './config.ts';
import { apiServerSpec, controllerManagerSpec, kwokSpec, schedulerSpec, type ProcSpec } from './components.ts';
import { GENERAL_NODES, GPU_NODES } from './nodes.ts';
import { clusterFiles, type ClusterFiles } from './pki.ts';
import { isAlive, readProcs, stopAll, writeProcs } from './proc.ts';
import { readRecord, recordedVersion, writeRecord, type UpgradeRecord } from './record.ts';
import { upgradeStep } from './versions.ts';

interface NodeList {
  items: Array<{ metadata: { name: string }; status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: Array<{ type: string; status: string }> } }>;
}

// Generous: on a loaded 2-core machine kwok takes minutes to re-report its nodes (180 s ran out at load 40).
const WAIT_MS = 600_000;

/** All nodes Ready (and, when `version` is given, reporting it as their kubelet version). */
async function nodesReady(index: number, version?: string): Promise<boolean> {
  const t = await apiTarget(index);
  const res = await apiGet(t, '/api/v1/nodes?labelSelector=type%3Dkwok');
  if (res.status !== 200) return false;
  const nodes = (JSON.parse(res.body) as NodeList).items;
  const ok = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && (!version || n.status?.nodeInfo?.kubeletVersion === version));
  return ok.length >= GENERAL_NODES + GPU_NODES;
}

/**
 * kwok plays the kubelets; a real kubelet reports its new version in the Node's status when it
 * restarts. kwok's version stage (stages/nodes.yaml) was seen not to fire on nodes it already
 * holds (10 minutes at load 10), so the node step of the upgrade writes what the restarted kubelets
 * report: status.nodeInfo's kubelet and kube-proxy versions, through the status subresource.
 */
async function reportKubeletVersion(index: number, version: string): Promise<void> {
  const t = await apiTarget(index);
  const res = await apiGet(t, '/api/v1/nodes?labelSelector=type%3Dkwok');
  if (res.status !== 200) throw new Error(`listing nodes: HTTP ${res.status}`);
  for (const n of (JSON.parse(res.body) as NodeList).items) {
    const patch = { status: { nodeInfo: { kubeletVersion: version, kubeProxyVersion: version } } };
    const r = await apiRequest(t, 'PATCH', `/api/v1/nodes/${n.metadata.name}/status`, patch, 15_000, 'application/merge-patch+json');
    if (r.status !== 200) throw new Error(`node ${n.metadata.name} status: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  }
}

/** /healthz of a component's own loopback HTTPS port (self-signed; the path is open to anyone). */
export function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Stops one recorded process of the cluster and starts `spec` in its place, keeping pids.json current. */
export async function replaceProcess(index: number, f: ClusterFiles, spec: ProcSpec, port?: keyof ReturnType<typeof clusterPorts>) {
  const procs = await readProcs(procsFile(f));
  const old = procs.find((p) => p.name === spec.name);
  if (old) await stopAll([old]);
  if (port) await assertPortsFree(index, [port]);
  const rest = procs.filter((p) => p !== old);
  const rec = await launch(spec, f, rest);
  // Keep the start order (etcd, API server, …) so a stop still goes in reverse.
  const ordered = procs.map((p) => (p === old ? rec : p));
  await writeProcs(procsFile(f), old ? ordered : [...procs, rec]);
  return rec;
}

export interface UpgradeResult {
  name: string;
  from: string;
  to: string;
  seconds: number;
  steps: Record<string, number>;
}

/**
 * Upgrades cluster fp-<index> in place to `to` (one minor at a time, never down; refusals throw a
 * one-line error). The binaries of `to` must be built. The record says `to` from the moment the new
 * API server starts, so an interrupted upgrade is finished by the next restart.
 */
export async function upgradeInPlace(index: number, to: string, log: (line: string) => void): Promise<UpgradeResult> {
  const name = clusterName(index);
  const f = clusterFiles(clusterDir(name));
  const from = await recordedVersion(f.dir);
  const step = upgradeStep(name, from, to);
  if (step.kind === 'refuse') throw new Error(step.reason);
  if (step.kind === 'noop') return { name, from, to, seconds: 0, steps: {} };
  const procs = await readProcs(procsFile(f));
  const dead = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'].filter((n) => !procs.some((p) => p.name === n && isAlive(p)));
  if (dead.length) throw new Error(`${name} is not running (${dead.join(', ')} down); start it first: npm run testbed -- up ${name}`);
  const startedAt = new Date();
  const record = (await readRecord(f.dir)) ?? { kubernetesVersion: from, createdAt: startedAt.toISOString(), upgrades: [] };
  await writeRecord(f.dir, { ...record, kubernetesVersion: to, upgrading: { from, to, startedAt: startedAt.toISOString() } });
  log(`[testbed] ${name}: upgrading ${from} -> ${to} in place`);
  const t = await apiTarget(index);
  const p = clusterPorts(index);
  const steps: Record<string, number> = {};
  const timed = async (what: string, fn: () => Promise<void>) => {
    const t0 = Date.now();
    await fn();
    steps[what] = +((Date.now() - t0) / 1000).toFixed(1);
    log(`[testbed] ${name}: ${what} on ${to} (${steps[what]}s)`);
  };
  await timed('kube-apiserver', async () => {
    const api = await replaceProcess(index, f, apiServerSpec(index, f, to), 'apiServer');
    await waitAlive(api, f, `${name} API server ${to} /readyz`, async () => (await apiGet(t, '/readyz')).status === 200, WAIT_MS);
    await waitFor(`${name} API server reports ${to}`, async () => JSON.parse((await apiGet(t, '/version')).body).gitVersion === to, WAIT_MS);
    await waitFor(`${name} nodes Ready`, () => nodesReady(index), WAIT_MS);
  });
  await timed('kube-controller-manager', async () => {
    const kcm = await replaceProcess(index, f, controllerManagerSpec(name, index, f, to), 'controllerManager');
    await waitAlive(kcm, f, `${name} controller manager ${to} /healthz`, () => healthz(p.controllerManager), WAIT_MS);
    await waitFor(`${name} nodes Ready`, () => nodesReady(index), WAIT_MS);
  });
  await timed('kube-scheduler', async () => {
    const sched = await replaceProcess(index, f, schedulerSpec(index, f, to), 'scheduler');
    await waitAlive(sched, f, `${name} scheduler ${to} /healthz`, () => healthz(p.scheduler), WAIT_MS);
    await waitFor(`${name} nodes Ready`, () => nodesReady(index), WAIT_MS);
  });
  await timed('kwok', async () => {
    const kwok = await replaceProcess(index, f, kwokSpec(f, to));
    await reportKubeletVersion(index, to);
    await waitAlive(kwok, f, `${name} nodes report kubelet ${to}`, () => nodesReady(index, to), WAIT_MS);
  });
  const seconds = +((Date.now() - startedAt.getTime()) / 1000).toFixed(1);
  const done: UpgradeRecord = { from, to, startedAt: startedAt.toISOString(), seconds, steps };
  await writeRecord(f.dir, { ...record, kubernetesVersion: to, upgrading: undefined, upgrades: [...record.upgrades, done] });
  log(`[testbed] ${name}: upgraded ${from} -> ${to} in ${seconds}s (logs: ${path.join(f.dir, 'logs')})`);
  return { name, from, to, seconds, steps };
}
