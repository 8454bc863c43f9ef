// Where a Cluster API topology upgrade stands, read from a `cluster.x-k8s.io/v1beta2` Cluster as the
// Cluster API controllers (v1.14) write it (docs/clusters.md "Upgrades", the Cluster API provider).
// Pure: the provider (adapters/upgrade/cluster-api.ts) reads the object and acts on the answer.
//
// Done means all of, on the generation our patch produced (conditions carry `observedGeneration`, so a
// True written for the old spec never counts):
//   - spec.topology.version is the target and status.observedGeneration has reached the generation;
//   - TopologyReconciled True (the topology controller sets it False with ClusterUpgrading,
//     ControlPlaneUpgradePending, MachineDeploymentsUpgradePending, … while any part of the cluster,
//     control plane or workers, is not yet on the topology's version: core/reconcilers/topology/
//     cluster/status.go);
//   - ControlPlaneAvailable True;
//   - status.controlPlane.versions names only the target (the control plane object's status.versions,
//     surfaced by the Cluster controller), and status.workers.versions, when reported, too.
// Failed means TopologyReconciled False with reason ReconcileFailed (the topology controller's error
// text in the message), or the Cluster being deleted. Anything else is waiting, with why.

export interface CapiCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** The parts of a v1beta2 Cluster this reads. */
export interface CapiCluster {
  metadata: { name: string; namespace?: string; generation?: number; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: { paused?: boolean; topology?: { version?: string; classRef?: { name: string } } };
  status?: {
    observedGeneration?: number;
    conditions?: CapiCondition[];
    controlPlane?: { versions?: Array<{ version: string; replicas?: number }>; upgradePlan?: Array<{ version: string }>; desiredReplicas?: number; upToDateReplicas?: number };
    workers?: { versions?: Array<{ version: string; replicas?: number }>; upgradePlan?: Array<{ version: string }> };
  };
}

export type CapiUpgradeState =
  | { state: 'done'; message: string }
  | { state: 'waiting'; message: string }
  | { state: 'failed'; reason: string; message: string };

export const CAPI_CONDITIONS = { topology: 'TopologyReconciled', controlPlane: 'ControlPlaneAvailable' } as const;
/** The topology controller's reason for a reconcile error (clusterv1.ClusterTopologyReconciledFailedReason). */
export const CAPI_RECONCILE_FAILED = 'ReconcileFailed';
export const CAPI_PAUSED_ANNOTATION = 'cluster.x-k8s.io/paused';

const firstLine = (s: string | undefined): string => (s ?? '').split('\n').map((l) => l.trim()).filter(Boolean).join('; ');

const versionsText = (vs: Array<{ version: string; replicas?: number }>): string => vs.map((v) => (v.replicas !== undefined ? `${v.version} ×${v.replicas}` : v.version)).join(', ');

/** Why a Cluster cannot be upgraded through its topology at all (null when it can). */
export function capiRefusal(c: CapiCluster): string | null {
  if (c.metadata.deletionTimestamp) return `Cluster ${c.metadata.namespace}/${c.metadata.name} is being deleted`;
  if (!c.spec?.topology) return `Cluster ${c.metadata.namespace}/${c.metadata.name} has no spec.topology (not managed by a ClusterClass; upgrade its control plane object instead)`;
  return null;
}

interface View { c: CapiCluster; target: string; generation: number; topology: CapiCondition | undefined; controlPlane: CapiCondition | undefined }

const condition = (c: CapiCluster, type: string): CapiCondition | undefined => (c.status?.conditions ?? []).find((x) => x.type === type);
/** Written for this generation (or later): a condition about the old spec never counts. */
const current = (x: CapiCondition | undefined, generation: number): x is CapiCondition => x !== undefined && (x.observedGeneration ?? 0) >= generation;
const waiting = (message: string): CapiUpgradeState => ({ state: 'waiting', message });

/** Checked in order; the first that answers decides. */
const CHECKS: Array<(v: View) => CapiUpgradeState | null> = [
  ({ c }) => {
    const refused = capiRefusal(c);
    return refused ? { state: 'failed', reason: 'NotUpgradable', message: refused } : null;
  },
  ({ c, target }) => (c.spec?.topology?.version === target ? null : waiting(`spec.topology.version is ${c.spec?.topology?.version ?? 'unset'}, not ${target}`)),
  ({ topology, generation }) => (current(topology, generation) && topology.status === 'False' && topology.reason === CAPI_RECONCILE_FAILED
    ? { state: 'failed', reason: CAPI_RECONCILE_FAILED, message: `${CAPI_CONDITIONS.topology} False (${CAPI_RECONCILE_FAILED}): ${firstLine(topology.message) || 'no message'}` }
    : null),
  ({ c }) => (c.spec?.paused === true || c.metadata.annotations?.[CAPI_PAUSED_ANNOTATION] !== undefined ? waiting('the Cluster is paused (spec.paused or the cluster.x-k8s.io/paused annotation)') : null),
  ({ c, generation }) => ((c.status?.observedGeneration ?? 0) >= generation ? null
    : waiting(`the Cluster controllers have not observed generation ${generation} yet (status.observedGeneration ${c.status?.observedGeneration ?? 'unset'})`)),
  ({ topology, generation }) => {
    if (!current(topology, generation)) return waiting(`${CAPI_CONDITIONS.topology} not yet reported for generation ${generation}`);
    return topology.status === 'True' ? null : waiting(`${CAPI_CONDITIONS.topology} ${topology.status} (${topology.reason ?? 'no reason'}): ${firstLine(topology.message)}`);
  },
  ({ controlPlane: cp }) => (cp?.status === 'True' ? null : waiting(`${CAPI_CONDITIONS.controlPlane} ${cp ? `${cp.status} (${cp.reason ?? 'no reason'})` : 'not reported'}`)),
  ({ c, target }) => {
    const vs = c.status?.controlPlane?.versions ?? [];
    if (vs.length === 0) return waiting('the control plane reports no versions yet (status.controlPlane.versions)');
    return vs.every((v) => v.version === target) ? null : waiting(`control plane at ${versionsText(vs)}, not all ${target}`);
  },
  ({ c, target }) => {
    const vs = c.status?.workers?.versions ?? [];
    return vs.every((v) => v.version === target) ? null : waiting(`workers at ${versionsText(vs)}, not all ${target}`);
  },
];

/** The upgrade of `c` to `target` as of this object: done, waiting (why) or failed (reason and message). */
export function capiUpgradeState(c: CapiCluster, target: string): CapiUpgradeState {
  const generation = c.metadata.generation ?? 0;
  const view: View = { c, target, generation, topology: condition(c, CAPI_CONDITIONS.topology), controlPlane: condition(c, CAPI_CONDITIONS.controlPlane) };
  for (const check of CHECKS) {
    const answer = check(view);
    if (answer) return answer;
  }
  const workers = (c.status?.workers?.versions ?? []).length > 0;
  return { state: 'done', message: `control plane${workers ? ' and workers' : ''} at ${target}, ${CAPI_CONDITIONS.topology} and ${CAPI_CONDITIONS.controlPlane} True (generation ${generation})` };
}
