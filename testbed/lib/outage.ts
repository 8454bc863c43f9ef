// Outages on purpose: one cluster's kube-apiserver stopped (SIGTERM, then SIGKILL after the grace
// period, as any supervisor stops it) and started again on the same etcd data, flags, certificates
// and recorded Kubernetes version. The rest of the cluster (etcd, controller manager, scheduler,
// kwok) keeps running through the outage; when the API server is back the controller manager and
// the scheduler are restarted, as leader-elected ones would be after losing their lease (see
// OutageOptions.restartControllers).
// pids.json keeps the stopped record, so `testbed status` reads "not running: kube-apiserver" until
// it is started again. The shared clusters (fp-1..fp-3) are refused unless `shared` is set. Not under
// the testbed's state lock (another process may hold it for minutes while it builds or starts its
// clusters, and an outage must begin when the test says): only this cluster's record is touched.
import { apiGet } from './api.ts';
import { apiTarget, assertPortsFree, clusterDir, clusterName, launch, procsFile, waitAlive } from './cluster.ts';
import { apiServerSpec, controllerManagerSpec, schedulerSpec } from './components.ts';
import { clusterPorts } from './config.ts';
import { healthz, replaceProcess } from './upgrade.ts';
import { clusterFiles } from './pki.ts';
import { isAlive, readProcs, stopAll, writeProcs } from './proc.ts';
import { recordedVersion } from './record.ts';

const SHARED = new Set([1, 2, 3]);
const WAIT_MS = 600_000;

export interface OutageOptions {
  /** Allow fp-1..fp-3, which other tests share (default false: refused). */
  shared?: boolean;
  /** Stop: how long SIGTERM may take before SIGKILL (default 10 s; 0: killed at once, like a crash). */
  graceMs?: number;
  /**
   * Start: restart the controller manager and the scheduler once the API server is back (default
   * true), as leader-elected ones do after losing their lease while it was gone. The testbed runs them
   * without leader election, and a controller manager that rode out the outage was seen keeping stale
   * ReplicaSet caches ("read version … is not as new as written version"), leaving pods uncreated.
   */
  restartControllers?: boolean;
}

function guard(index: number, o: OutageOptions): void {
  if (SHARED.has(index) && !o.shared) throw new Error(`${clusterName(index)} is shared by other tests: stop the API server of a cluster of your own (or pass shared: true)`);
}

/** Stops the cluster's kube-apiserver; resolves once the process is gone. */
export async function stopApiServerProcess(index: number, o: OutageOptions = {}): Promise<{ pid: number }> {
  guard(index, o);
  const f = clusterFiles(clusterDir(clusterName(index)));
  const rec = (await readProcs(procsFile(f))).find((p) => p.name === 'kube-apiserver');
  if (!rec || !isAlive(rec)) throw new Error(`${clusterName(index)}: kube-apiserver is not running`);
  await stopAll([rec], o.graceMs ?? 10_000);
  return { pid: rec.pid };
}

/** Starts the cluster's kube-apiserver again (its recorded version) and waits for /readyz. */
export async function startApiServerProcess(index: number, o: OutageOptions = {}): Promise<{ pid: number }> {
  guard(index, o);
  const name = clusterName(index);
  const f = clusterFiles(clusterDir(name));
  const procs = await readProcs(procsFile(f));
  const old = procs.find((p) => p.name === 'kube-apiserver');
  if (old && isAlive(old)) return { pid: old.pid };
  await assertPortsFree(index, ['apiServer']);
  const rest = procs.filter((p) => p !== old);
  const rec = await launch(apiServerSpec(index, f, await recordedVersion(f.dir)), f, rest);
  await writeProcs(procsFile(f), old ? procs.map((p) => (p === old ? rec : p)) : [...procs, rec]);
  const t = await apiTarget(index);
  await waitAlive(rec, f, `${name} API server /readyz`, async () => (await apiGet(t, '/readyz')).status === 200, WAIT_MS);
  if (o.restartControllers !== false) {
    const version = await recordedVersion(f.dir);
    const p = clusterPorts(index);
    const kcm = await replaceProcess(index, f, controllerManagerSpec(name, index, f, version), 'controllerManager');
    await waitAlive(kcm, f, `${name} controller manager /healthz`, () => healthz(p.controllerManager), WAIT_MS);
    const sched = await replaceProcess(index, f, schedulerSpec(index, f, version), 'scheduler');
    await waitAlive(sched, f, `${name} scheduler /healthz`, () => healthz(p.scheduler), WAIT_MS);
  }
  return { pid: rec.pid };
}
