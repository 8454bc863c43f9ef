// The Cluster API upgrade provider (docs/clusters.md "Upgrades"): a Fleetplane cluster that Cluster
// API manages through a ClusterClass is upgraded by setting `spec.topology.version` of its
// `cluster.x-k8s.io/v1beta2` Cluster on the management cluster; the CAPI controllers then roll the
// control plane, then the workers. This writes exactly that one field (a JSON merge patch, field
// manager `fleetplane-upgrade`, strict field validation: never creates a Cluster, takes the field
// without an SSA conflict from whoever created the object) and waits until the Cluster says it is
// done (domain/capi-upgrade.ts: TopologyReconciled and ControlPlaneAvailable True for the patched
// generation, control plane and worker versions all at the target). A TopologyReconciled False with
// reason ReconcileFailed that lasts `failureGraceMs` fails the upgrade with the controller's message;
// so does waiting longer than `timeoutMs`. Idempotent: at the target already, it only waits.
//
// Which CAPI Cluster: the Fleetplane cluster's label `cluster.x-k8s.io/cluster-name` (else its name)
// in the label `cluster.x-k8s.io/namespace` (else `namespace`, default "default").
import { setTimeout as sleepFor } from 'node:timers/promises';
import { systemClock, type Clock } from '../../clock.ts';
import type { ClusterUpgradeProvider } from '../../domain/ports/cluster-upgrade.ts';
import type { Cluster, KubeObject, ObjectRef } from '../../domain/types.ts';
import { capiRefusal, capiUpgradeState, type CapiCluster, type CapiUpgradeState } from '../../domain/capi-upgrade.ts';

export const CAPI_API_VERSION = 'cluster.x-k8s.io/v1beta2';
export const CAPI_FIELD_MANAGER = 'fleetplane-upgrade';
export const CAPI_NAME_LABEL = 'cluster.x-k8s.io/cluster-name';
export const CAPI_NAMESPACE_LABEL = 'cluster.x-k8s.io/namespace';

/** What the provider needs of the management cluster's client (adapters/kube KubeClient has it). */
export interface ManagementClient {
  readonly server: string;
  get(ref: ObjectRef): Promise<KubeObject | null>;
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>, opts: { dryRun?: boolean; fieldManager?: string }): Promise<KubeObject>;
}

export interface ClusterApiProviderOptions {
  /** The management cluster, where the Cluster objects live. */
  management: ManagementClient;
  /** Namespace of Cluster objects whose Fleetplane cluster names none (default "default"). */
  namespace?: string;
  /** Poll interval of the Cluster's status (default 10 s). */
  pollMs?: number;
  /** How long the upgrade may take before it fails (default 2 h: a control plane of 3 plus workers). */
  timeoutMs?: number;
  /** How long a ReconcileFailed may last before the upgrade fails (default 60 s; the controller retries). */
  failureGraceMs?: number;
  /** Injected time (tests). Default: the system clock, with a poll sleep that keeps the process alive while an upgrade is awaited. */
  clock?: Clock;
}

/** The merge patch the provider sends: only the topology's version. */
export const topologyVersionPatch = (to: string): Record<string, unknown> => ({ spec: { topology: { version: to } } });

class ClusterGoneError extends Error {}

/** The upgrade's state from a read (or why the read failed); throws when someone else set another version. */
function stateOf(cur: CapiCluster | string, to: string, generation: number, at: string): CapiUpgradeState {
  if (typeof cur === 'string') return { state: 'waiting', message: cur };
  const overwritten = overwrittenBy(cur, to, generation);
  if (overwritten) throw new Error(`${at}: ${overwritten}`);
  return capiUpgradeState(cur, to);
}

/** Someone set another version after our patch (a later generation without our target): why, else null. */
function overwrittenBy(cur: CapiCluster, to: string, generation: number): string | null {
  const now = cur.spec?.topology?.version;
  return (cur.metadata.generation ?? 0) > generation && now !== to ? `spec.topology.version was changed to ${now ?? 'unset'} by someone else during the upgrade to ${to}` : null;
}

export interface ClusterApiProvider extends ClusterUpgradeProvider {
  /** The CAPI Cluster the Fleetplane cluster maps to. */
  clusterRef(cluster: Cluster): ObjectRef & { namespace: string };
  /** The patch as a strict server-side dry run (nothing persisted): the object as the API server would store it. */
  dryRun(cluster: Cluster, to: string): Promise<KubeObject>;
}

export function clusterApiUpgradeProvider(opts: ClusterApiProviderOptions): ClusterApiProvider {
  const clock = opts.clock ?? systemClock;
  const sleep = opts.clock ? (ms: number) => opts.clock!.sleep(ms) : (ms: number) => sleepFor(ms);
  const pollMs = opts.pollMs ?? 10_000;
  const timeoutMs = opts.timeoutMs ?? 2 * 3600_000;
  const graceMs = opts.failureGraceMs ?? 60_000;
  const refOf = (c: Cluster) => ({
    apiVersion: CAPI_API_VERSION, kind: 'Cluster', name: c.labels?.[CAPI_NAME_LABEL] ?? c.name, namespace: c.labels?.[CAPI_NAMESPACE_LABEL] ?? opts.namespace ?? 'default',
  });
  const read = async (ref: ObjectRef & { namespace: string }): Promise<CapiCluster> => {
    const obj = await opts.management.get(ref);
    if (!obj) throw new ClusterGoneError(`Cluster ${ref.namespace}/${ref.name} (${CAPI_API_VERSION}) not found on the management cluster ${opts.management.server}`);
    return obj as unknown as CapiCluster;
  };
  /** While waiting, a failed read (the management cluster briefly unreachable) is a reason to wait, not to fail. */
  const readWhileWaiting = async (ref: ObjectRef & { namespace: string }): Promise<CapiCluster | string> => {
    try {
      return await read(ref);
    } catch (err) {
      if (err instanceof ClusterGoneError) throw err;
      return `reading the Cluster failed (${(err instanceof Error ? err.message : String(err)).split('\n')[0]}); retrying`;
    }
  };
  const patch = async (c: Cluster, to: string, dryRun: boolean): Promise<KubeObject> => {
    const ref = refOf(c);
    const refused = capiRefusal(await read(ref));
    if (refused) throw new Error(refused);
    return opts.management.mergePatch(ref, topologyVersionPatch(to), { fieldManager: CAPI_FIELD_MANAGER, dryRun });
  };
  /** Polls the Cluster until the upgrade is done (returns) or failed / timed out (throws). */
  const waitDone = async (ref: ObjectRef & { namespace: string }, to: string, generation: number, log: (line: string) => void): Promise<void> => {
    const at = `Cluster ${ref.namespace}/${ref.name}`;
    const started = clock.monotonic();
    let failingSince: number | null = null;
    let last = '';
    for (;;) {
      const s = stateOf(await readWhileWaiting(ref), to, generation, at);
      if (s.state === 'done') return log(`${at}: ${s.message}`);
      const now = clock.monotonic();
      failingSince = s.state === 'failed' ? (failingSince ?? now) : null;
      if (s.state === 'failed' && (s.reason === 'NotUpgradable' || now - (failingSince ?? now) >= graceMs)) throw new Error(`${at}: ${s.message}`);
      if (s.message !== last) log(`${at}: ${s.state}: ${s.message}`);
      last = s.message;
      if (now - started >= timeoutMs) throw new Error(`${at}: not upgraded to ${to} after ${Math.round(timeoutMs / 1000)} s: ${s.message}`);
      await sleep(pollMs);
    }
  };
  return {
    name: 'cluster-api',
    clusterRef: refOf,
    dryRun: (c, to) => patch(c, to, true),
    async upgrade(cluster, to, log) {
      const ref = refOf(cluster);
      const from = (await read(ref)).spec?.topology?.version;
      log(from === to
        ? `Cluster ${ref.namespace}/${ref.name}: spec.topology.version already ${to}; waiting for its conditions`
        : `Cluster ${ref.namespace}/${ref.name}: spec.topology.version ${from ?? 'unset'} -> ${to}`);
      const patched = await patch(cluster, to, false);
      await waitDone(ref, to, Number(patched.metadata.generation ?? 0), log);
    },
  };
}
