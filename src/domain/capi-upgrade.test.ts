import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capiRefusal, capiUpgradeState, type CapiCluster, type CapiCondition } from './capi-upgrade.ts';

const TO = 'v1.37.2';
const cond = (type: string, status: string, reason: string, observedGeneration = 2, message = ''): CapiCondition => ({ type, status, reason, observedGeneration, message });

/** A Cluster at generation 2 (just patched to TO), everything reconciled unless overridden. */
function cluster(o: { version?: string; observed?: number; conditions?: CapiCondition[]; cp?: string[]; workers?: string[]; paused?: boolean; topology?: boolean; deleting?: boolean } = {}): CapiCluster {
  return {
    metadata: { name: 'edge', namespace: 'fleet', generation: 2, ...(o.deleting ? { deletionTimestamp: '2026-12-03T00:00:00Z' } : {}) },
    spec: { ...(o.paused ? { paused: true } : {}), ...(o.topology === false ? {} : { topology: { classRef: { name: 'c' }, version: o.version ?? TO } }) },
    status: {
      observedGeneration: o.observed ?? 2,
      conditions: o.conditions ?? [cond('TopologyReconciled', 'True', 'ReconcileSucceeded'), cond('ControlPlaneAvailable', 'True', 'Available')],
      controlPlane: { versions: (o.cp ?? [TO]).map((version) => ({ version, replicas: 1 })) },
      workers: { versions: (o.workers ?? [TO]).map((version) => ({ version, replicas: 1 })) },
    },
  };
}

test('done only when the patched generation is reconciled, the control plane available and every version at the target', () => {
  assert.equal(capiUpgradeState(cluster(), TO).state, 'done');
  assert.match(capiUpgradeState(cluster(), TO).message, /control plane and workers at v1\.37\.2/);
  assert.equal(capiUpgradeState(cluster({ workers: [] }), TO).state, 'done', 'workers are optional (a control-plane-only cluster)');
});

test('waiting, with why: not patched, old generation, stale True, progressing reasons, versions behind, paused', () => {
  const w = (c: CapiCluster) => {
    const s = capiUpgradeState(c, TO);
    assert.equal(s.state, 'waiting');
    return s.message;
  };
  assert.match(w(cluster({ version: 'v1.36.3' })), /spec\.topology\.version is v1\.36\.3, not v1\.37\.2/);
  assert.match(w(cluster({ observed: 1 })), /not observed generation 2/);
  // A True written for generation 1 does not count.
  assert.match(w(cluster({ conditions: [cond('TopologyReconciled', 'True', 'ReconcileSucceeded', 1), cond('ControlPlaneAvailable', 'True', 'Available')] })), /TopologyReconciled not yet reported for generation 2/);
  assert.match(w(cluster({ conditions: [cond('TopologyReconciled', 'False', 'ControlPlaneUpgradePending', 2, 'Cluster is upgrading to v1.37.2\n  * KubeadmControlPlane pending upgrade to version v1.37.2')] })),
    /TopologyReconciled False \(ControlPlaneUpgradePending\): Cluster is upgrading to v1\.37\.2; \* KubeadmControlPlane pending/);
  assert.match(w(cluster({ conditions: [cond('TopologyReconciled', 'True', 'ReconcileSucceeded'), cond('ControlPlaneAvailable', 'False', 'NotAvailable')] })), /ControlPlaneAvailable False \(NotAvailable\)/);
  assert.match(w(cluster({ conditions: [cond('TopologyReconciled', 'True', 'ReconcileSucceeded')] })), /ControlPlaneAvailable not reported/);
  assert.match(w(cluster({ cp: ['v1.36.3', TO] })), /control plane at v1\.36\.3 ×1, v1\.37\.2 ×1, not all v1\.37\.2/);
  assert.match(w(cluster({ cp: [] })), /reports no versions/);
  assert.match(w(cluster({ workers: ['v1.36.3'] })), /workers at v1\.36\.3/);
  assert.match(w(cluster({ paused: true })), /paused/);
});

test('failed: ReconcileFailed for this generation (with the controller\'s message), no topology, being deleted', () => {
  const failed = capiUpgradeState(cluster({ conditions: [cond('TopologyReconciled', 'False', 'ReconcileFailed', 2, 'error computing the desired state\nboom')] }), TO);
  assert.deepEqual(failed, { state: 'failed', reason: 'ReconcileFailed', message: 'TopologyReconciled False (ReconcileFailed): error computing the desired state; boom' });
  // A ReconcileFailed about the old generation is not this upgrade's failure.
  assert.equal(capiUpgradeState(cluster({ conditions: [cond('TopologyReconciled', 'False', 'ReconcileFailed', 1)] }), TO).state, 'waiting');
  assert.match(capiRefusal(cluster({ topology: false }))!, /no spec\.topology/);
  assert.equal(capiUpgradeState(cluster({ topology: false }), TO).state, 'failed');
  assert.match(capiRefusal(cluster({ deleting: true }))!, /being deleted/);
  assert.equal(capiRefusal(cluster()), null);
});
