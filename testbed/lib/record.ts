// What a cluster runs, kept in its state dir (`<state>/fp-N/cluster.json`): the Kubernetes version of
// its control plane and the in-place upgrades it went through. Clusters made before versions were
// recorded are recognised by the binary path of their API server, or else taken to be v1.32.6, the
// only release the testbed built then.
import fs from 'node:fs/promises';
import path from 'node:path';
import { readProcs } from './proc.ts';

export const LEGACY_VERSION = 'v1.32.6';

export interface UpgradeRecord {
  from: string;
  to: string;
  startedAt: string;
  seconds: number;
  /** Seconds per restarted component (kube-apiserver, kube-controller-manager, kube-scheduler, kwok). */
  steps: Record<string, number>;
}

export interface ClusterRecord {
  kubernetesVersion: string;
  createdAt: string;
  /** Set while an upgrade runs; a restart then finishes it on the new version. */
  upgrading?: { from: string; to: string; startedAt: string };
  upgrades: UpgradeRecord[];
}

const recordFile = (dir: string) => path.join(dir, 'cluster.json');

export async function readRecord(dir: string): Promise<ClusterRecord | undefined> {
  try {
    return JSON.parse(await fs.readFile(recordFile(dir), 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

export async function writeRecord(dir: string, rec: ClusterRecord): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${recordFile(dir)}.tmp-${process.pid}`;
  await fs.writeFile(tmp, JSON.stringify(rec, null, 2) + '\n');
  await fs.rename(tmp, recordFile(dir));
}

/** The version a cluster's state belongs to: its record, else its API server's binary path, else legacy. */
export async function recordedVersion(dir: string): Promise<string> {
  const rec = await readRecord(dir);
  if (rec) return rec.kubernetesVersion;
  const api = (await readProcs(path.join(dir, 'pids.json'))).find((p) => p.name === 'kube-apiserver');
  const m = api && /kubernetes-(v\d+\.\d+\.\d+)[/\\]kube-apiserver$/.exec(api.binary);
  return m?.[1] ?? LEGACY_VERSION;
}
