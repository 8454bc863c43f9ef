// `up`: bring the named clusters to a usable state at the wanted Kubernetes version. Healthy clusters
// at that version are reused, dead ones restarted on their data, older ones upgraded in place one minor
// at a time, and ones too old to upgrade (older than the oldest release built here) recreated, saying so.
import { existsSync } from 'node:fs';
import { buildAll } from './build.ts';
import { clusterDir, clusterName, clusterStatus, removeCluster, startCluster, type ClusterStatus } from './cluster.ts';
import { KUBE_RELEASES, kubeComponentOf, stateRoot } from './config.ts';
import { ensureCrds } from './crds.ts';
import { withLock } from './lock.ts';
import { GENERAL_NODES, GPU_NODES } from './nodes.ts';
import { recordedVersion } from './record.ts';
import { upgradeInPlace } from './upgrade.ts';
import { planUp, type UpPlan } from './versions.ts';

const BUILT = KUBE_RELEASES.map((r) => r.version);

export function usable(s: ClusterStatus): boolean {
  return s.healthy && s.nodes >= GENERAL_NODES + GPU_NODES;
}

async function planFor(index: number, target: string, explicit: boolean): Promise<UpPlan | { action: 'create' }> {
  const dir = clusterDir(clusterName(index));
  if (!existsSync(dir)) return { action: 'create' };
  return planUp(clusterName(index), await recordedVersion(dir), target, BUILT, explicit);
}

async function timedStart(index: number, log: (line: string) => void, version?: string): Promise<ClusterStatus> {
  const started = Date.now();
  const s = await startCluster(index, log, version);
  if (!usable(s)) throw new Error(`${s.name} did not become healthy: ${s.problem ?? `${s.nodes} Ready nodes`}`);
  log(`[testbed] ${s.name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${s.apiServer} (${s.nodes} nodes, ${s.version})`);
  return s;
}

async function reconcile(index: number, target: string, explicit: boolean, log: (line: string) => void): Promise<ClusterStatus> {
  const name = clusterName(index);
  const plan = await planFor(index, target, explicit);
  const now = await clusterStatus(index);
  switch (plan.action) {
    case 'refuse':
      throw new Error(plan.reason);
    case 'create':
      log(`[testbed] creating ${name} at ${target}`);
      return timedStart(index, log, target);
    case 'recreate':
      log(`[testbed] ${plan.reason}: recreating it at ${target} (its objects are lost)`);
      await removeCluster(index);
      return timedStart(index, log, target);
    case 'keep':
      if (usable(now)) return now;
      log(`[testbed] starting ${name}${now.problem && now.problem !== 'not running' ? ` (was: ${now.problem})` : ''}`);
      return timedStart(index, log);
    case 'upgrade': {
      if (!usable(now)) {
        log(`[testbed] starting ${name} at ${now.version} before upgrading it`);
        await timedStart(index, log);
      }
      for (const step of plan.steps) await upgradeInPlace(index, step, log);
      return clusterStatus(index);
    }
  }
}

export interface EnsureClustersOptions {
  indexes: number[];
  /** Kubernetes version new clusters get and existing ones are brought to (default: pinned default). */
  version?: string;
  log: (line: string) => void;
}

export async function ensureClusters(opts: EnsureClustersOptions): Promise<ClusterStatus[]> {
  const explicit = opts.version !== undefined;
  const target = opts.version ?? BUILT[0]!;
  kubeComponentOf(target); // a one-line error for a release this testbed does not build
  // Build outside the state lock (builds have their own per-component locks), so a long build never
  // blocks another process's `up` of clusters that are already running.
  const plans = await Promise.all(opts.indexes.map((i) => planFor(i, target, explicit)));
  const needed = new Set([target]);
  for (const p of plans) if (p.action === 'upgrade') for (const v of BUILT) needed.add(v);
  await buildAll({ log: opts.log, only: ['etcd', 'kwok', ...[...needed].map((v) => `kubernetes@${v}`)] });
  await ensureCrds();
  return withLock(stateRoot(), () => Promise.all(opts.indexes.map((i) => reconcile(i, target, explicit, opts.log))));
}
