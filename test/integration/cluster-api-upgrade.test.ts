// The Cluster API upgrade provider (src/adapters/upgrade/cluster-api.ts) against the real Cluster API
// CRDs (sigs.k8s.io/cluster-api v1.14.2, cluster.x-k8s.io/v1beta2, installed by the testbed) on a
// real kube-apiserver (fp-1 plays the management cluster). No CAPI controller runs in the testbed, so
// THIS TEST PLAYS THE CONTROLLERS' PART: it writes the Cluster's status (observedGeneration,
// TopologyReconciled / ControlPlaneAvailable conditions, control plane and worker versions) through
// the status subresource, in the shapes CAPI v1.14's topology and cluster controllers write them
// (core/reconcilers/topology/cluster/status.go, core/reconcilers/cluster/cluster_controller_status.go).
// What is checked for real: the provider's patch and everything it reads, against the CRD's schema
// (strict field validation) and the apiserver's generation / managedFields / status-subresource rules;
// what is not: CAPI's reconciliation itself (machines really rolling).
//   1. upgrade from the previous minor to the next: the patch lands (only spec.topology.version, owned
//      by `fleetplane-upgrade`, the creator keeps the rest), stale True conditions of the old
//      generation do not finish it, progress conditions keep it waiting, the final status finishes it;
//      a repeat is a no-op (generation unchanged);
//   2. a ReconcileFailed condition halts an upgrade plan run by the real ClusterUpgradeController on an
//      embedded store, with the controller's message as the plan's reason;
//   3. a ReconcileFailed shorter than the grace does not fail the upgrade, one that lasts it does
//      (the provider's clock is a ManualClock, so the grace is crossed without waiting for it);
//   4. strict server-side dry run of exactly what the provider writes (accepted, nothing persisted),
//      and the same patch with a misspelled field refused by the schema.
// Everything lives in namespaces h16c-capi-… on fp-1, deleted at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { CAPI_API_VERSION, CAPI_FIELD_MANAGER, CAPI_NAME_LABEL, CAPI_NAMESPACE_LABEL, clusterApiUpgradeProvider, topologyVersionPatch } from '../../src/adapters/upgrade/cluster-api.ts';
import { createClusterUpgrade } from '../../src/api/services/cluster-lifecycle.ts';
import { ClusterUpgradeController } from '../../src/engine/cluster-upgrades.ts';
import type { Cluster, KubeObject } from '../../src/domain/types.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS } from '../../testbed/index.ts';
import { freshEmbedded, type TestDatabase } from '../helpers/db.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createNamespace, getTestbed, type TestNamespace } from '../helpers/testbed.ts';

const FROM = KUBERNETES_VERSIONS[1]!;
const TO = DEFAULT_KUBE_VERSION;
const CONTROLLER = 'capi-controller-played-by-test';
const CREATOR = 'capi-test-creator';
const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, limitMs = 120_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

let ns: TestNamespace;
let client: KubeClient;

before(async () => {
  const fp1 = (await getTestbed()).clusters[0]!;
  ns = await createNamespace(fp1, 'h16c-capi');
  client = ns.client;
});

after(async () => {
  await ns?.delete();
});

/** A topology-managed Cluster at `version`, created by another manager (as clusterctl or GitOps would). */
async function createCluster(name: string, version: string): Promise<KubeObject> {
  return client.apply({
    apiVersion: CAPI_API_VERSION, kind: 'Cluster', metadata: { name, namespace: ns.name },
    spec: {
      clusterNetwork: { pods: { cidrBlocks: ['192.168.0.0/16'] } },
      controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name: `${name}-cp` },
      infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DockerCluster', name },
      topology: { classRef: { name: 'fleet-class' }, version, workers: { machineDeployments: [{ class: 'default-worker', name: 'md-0', replicas: 2 }] } },
    },
  }, { fieldManager: CREATOR });
}

const ref = (name: string) => ({ apiVersion: CAPI_API_VERSION, kind: 'Cluster', namespace: ns.name, name });
const get = async (name: string) => (await client.get(ref(name)))! as KubeObject & { metadata: { generation: number; managedFields: Array<{ manager: string; operation: string; subresource?: string; fieldsV1: Record<string, unknown> }> }; spec: { topology: { version: string; classRef: { name: string } } } };

interface Played { generation: number; topology: [status: string, reason: string, message?: string]; cpAvailable?: boolean; cp: Array<[string, number]>; workers: Array<[string, number]> }

/** Writes the Cluster's status as the CAPI controllers would, through the status subresource. */
async function playController(name: string, p: Played): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string, reason: string, message = '') => ({ type, status, reason, message, observedGeneration: p.generation, lastTransitionTime: at });
  await client.mergePatch(ref(name), {
    status: {
      observedGeneration: p.generation,
      conditions: [
        cond('TopologyReconciled', ...p.topology),
        cond('ControlPlaneAvailable', p.cpAvailable === false ? 'False' : 'True', p.cpAvailable === false ? 'NotAvailable' : 'Available'),
        cond('Available', 'True', 'Available'),
      ],
      controlPlane: { desiredReplicas: 3, replicas: 3, versions: p.cp.map(([version, replicas]) => ({ version, replicas })) },
      workers: { desiredReplicas: 2, replicas: 2, versions: p.workers.map(([version, replicas]) => ({ version, replicas })) },
    },
  }, { subresource: 'status', fieldManager: CONTROLLER });
}

/** The Fleetplane cluster record the provider is given: it names its CAPI Cluster by label. */
const fleetCluster = (name: string): Cluster => ({
  name: `capi-${name}`, provider: 'onprem', region: 'local', role: 'shared', apiServer: 'https://127.0.0.1:1', kubernetesVersion: FROM,
  labels: { [CAPI_NAME_LABEL]: name, [CAPI_NAMESPACE_LABEL]: ns.name }, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
});

describe(`Cluster API provider on the real CAPI v1beta2 CRDs (${FROM} -> ${TO}; the test writes the controllers' status)`, { timeout: 10 * 60_000 }, () => {
  test('upgrades a Cluster one minor: patches only spec.topology.version, waits through stale and progressing conditions, finishes on the final status; a repeat is a no-op', async () => {
    await createCluster('edge-a', FROM);
    const created = await get('edge-a');
    // The state before: reconciled at FROM for generation 1.
    await playController('edge-a', { generation: created.metadata.generation, topology: ['True', 'ReconcileSucceeded'], cp: [[FROM, 3]], workers: [[FROM, 2]] });
    const lines: string[] = [];
    const provider = clusterApiUpgradeProvider({ management: client, pollMs: 50, timeoutMs: 5 * 60_000, failureGraceMs: 0 });
    let settled: 'pending' | 'resolved' | Error = 'pending';
    const run = provider.upgrade(fleetCluster('edge-a'), TO, (l) => lines.push(l)).then(() => { settled = 'resolved'; }, (err: Error) => { settled = err; });
    const said = (re: RegExp) => until(`the provider to say ${re}`, () => lines.some((l) => re.test(l)));

    // The patch: a new generation with the target version, the field owned by the provider's manager.
    const patched = await until('the patch', async () => { const c = await get('edge-a'); return c.spec.topology.version === TO ? c : null; });
    assert.equal(patched.metadata.generation, created.metadata.generation + 1);
    assert.equal(patched.spec.topology.classRef.name, 'fleet-class', 'the rest of the topology is untouched');
    const mine = patched.metadata.managedFields.find((m) => m.manager === CAPI_FIELD_MANAGER)!;
    assert.equal(mine.operation, 'Update');
    assert.deepEqual(mine.fieldsV1, { 'f:spec': { 'f:topology': { 'f:version': {} } } }, 'the provider owns exactly spec.topology.version');
    assert.ok(patched.metadata.managedFields.some((m) => m.manager === CREATOR), 'the creator still owns the rest');
    assert.match(lines[0]!, new RegExp(`spec.topology.version ${FROM} -> ${TO}`));

    // Stale: TopologyReconciled True, but for generation 1.
    await said(/waiting: the Cluster controllers have not observed generation/);
    assert.equal(settled, 'pending', 'a True condition of the old generation does not finish the upgrade');
    const g = patched.metadata.generation;
    // The control plane rolling (one of three machines on the new version).
    await playController('edge-a', { generation: g, topology: ['False', 'ClusterUpgrading', `Cluster is upgrading to ${TO}\n  * KubeadmControlPlane upgrading to version ${TO}`], cp: [[FROM, 2], [TO, 1]], workers: [[FROM, 2]] });
    await said(/waiting: TopologyReconciled False \(ClusterUpgrading\): Cluster is upgrading/);
    assert.equal(settled, 'pending');
    // Control plane done, workers pending.
    await playController('edge-a', { generation: g, topology: ['False', 'MachineDeploymentsUpgradePending', `Cluster is upgrading to ${TO}\n  * MachineDeployment md-0 pending upgrade to version ${TO}`], cp: [[TO, 3]], workers: [[FROM, 2]] });
    await said(/MachineDeploymentsUpgradePending/);
    assert.equal(settled, 'pending');
    // Reconciled but a worker still reported on the old version: still waiting.
    await playController('edge-a', { generation: g, topology: ['True', 'ReconcileSucceeded'], cp: [[TO, 3]], workers: [[FROM, 1], [TO, 1]] });
    await said(/waiting: workers at .* not all/);
    assert.equal(settled, 'pending');
    // Done.
    await playController('edge-a', { generation: g, topology: ['True', 'ReconcileSucceeded'], cp: [[TO, 3]], workers: [[TO, 2]] });
    await run;
    assert.equal(settled, 'resolved');
    assert.match(lines.at(-1)!, new RegExp(`control plane and workers at ${TO}.*generation ${g}`));

    // Idempotent: a repeat (a controller pass re-run after a crash) changes nothing and returns.
    const again: string[] = [];
    await provider.upgrade(fleetCluster('edge-a'), TO, (l) => again.push(l));
    assert.equal((await get('edge-a')).metadata.generation, g);
    assert.match(again[0]!, /already/);
  });

  describe('a failed condition halts the upgrade plan', () => {
    let db: TestDatabase;
    let store: SqlStore;
    before(async () => {
      db = await freshEmbedded();
      store = await openStore({ dataDir: db.dataDir, secretKey: 'c'.repeat(64) });
      await store.migrate();
    });
    after(async () => {
      await store?.close();
      await db?.cleanup();
    });

    test('TopologyReconciled False (ReconcileFailed) fails the cluster and the plan with the controller\'s message', async () => {
      await createCluster('edge-b', FROM);
      const created = await get('edge-b');
      await playController('edge-b', { generation: created.metadata.generation, topology: ['True', 'ReconcileSucceeded'], cp: [[FROM, 3]], workers: [[FROM, 2]] });
      const fc = fleetCluster('edge-b');
      await store.clusters.upsert({ name: fc.name, provider: fc.provider, region: fc.region, role: fc.role, apiServer: fc.apiServer, labels: fc.labels, kubernetesVersion: FROM, credentials: 'unused: the provider talks to the management cluster' });
      const plan = await createClusterUpgrade(store, { target: TO, clusters: [fc.name] });
      const provider = clusterApiUpgradeProvider({ management: client, pollMs: 50, timeoutMs: 5 * 60_000, failureGraceMs: 0 });
      const controller = new ClusterUpgradeController({
        store, provider, heartbeat: () => Promise.resolve(false), logger, now: () => new Date(), verifyTimeoutMs: 60_000,
      }, 0);
      await controller.passOnce(); // pending -> upgrading
      const pass = controller.passOnce(); // the provider patches and waits
      const patched = await until('the patch', async () => { const c = await get('edge-b'); return c.spec.topology.version === TO ? c : null; });
      const why = 'failed to create patch helper for KubeadmControlPlane edge-b-cp: admission webhook "validation.kubeadmcontrolplane.controlplane.cluster.x-k8s.io" denied the request';
      await playController('edge-b', { generation: patched.metadata.generation, topology: ['False', 'ReconcileFailed', why], cp: [[FROM, 3]], workers: [[FROM, 2]] });
      await pass;
      const after1 = (await store.clusterUpgrades.get(plan.id))!;
      assert.equal(after1.progress[fc.name]?.state, 'failed');
      assert.match(after1.progress[fc.name]!.message!, /^cluster-api provider: Cluster h16c-capi-\S+\/edge-b: TopologyReconciled False \(ReconcileFailed\): failed to create patch helper/);
      const [halted] = await controller.passOnce();
      assert.equal(halted!.state, 'failed');
      assert.match(halted!.reason!, new RegExp(`^${fc.name}: cluster-api provider: .*ReconcileFailed.*admission webhook`));
    });
  });

  test('a ReconcileFailed shorter than the failure grace is waited out; one lasting the grace fails the upgrade with its message', async () => {
    await createCluster('edge-d', FROM);
    const created = await get('edge-d');
    await playController('edge-d', { generation: created.metadata.generation, topology: ['True', 'ReconcileSucceeded'], cp: [[FROM, 3]], workers: [[FROM, 2]] });
    const clock = new ManualClock();
    let reads = 0;
    // The real client, counting the reads that have come back (to know a poll has been processed).
    const counting = {
      server: client.server,
      get: async (r: Parameters<KubeClient['get']>[0]) => { const o = await client.get(r); reads++; return o; },
      mergePatch: (r: Parameters<KubeClient['mergePatch']>[0], p: Record<string, unknown>, o: Parameters<KubeClient['mergePatch']>[2]) => client.mergePatch(r, p, o),
    };
    const POLL = 1000;
    const GRACE = 60_000;
    const provider = clusterApiUpgradeProvider({ management: counting, pollMs: POLL, timeoutMs: 3600_000, failureGraceMs: GRACE, clock });
    const lines: string[] = [];
    let settled: 'pending' | 'resolved' | Error = 'pending';
    const run = provider.upgrade(fleetCluster('edge-d'), TO, (l) => lines.push(l)).then(() => { settled = 'resolved'; }, (err: Error) => { settled = err; });
    const asleep = () => until('the provider asleep between polls (or finished)', () => clock.pending === 1 || settled !== 'pending');
    /** Moves the provider's clock by ms and waits until it has read the Cluster again and gone back to sleep (or finished). */
    const poll = async (ms = POLL) => {
      await asleep();
      const n = reads;
      await clock.advance(ms);
      await until('a poll processed', () => (reads > n && clock.pending === 1) || settled !== 'pending');
    };
    await asleep();
    const g = (await get('edge-d')).metadata.generation;
    assert.equal(g, created.metadata.generation + 1);
    const why = 'failed to reconcile the ControlPlane: etcdserver: request timed out';
    await playController('edge-d', { generation: g, topology: ['False', 'ReconcileFailed', why], cp: [[FROM, 3]], workers: [[FROM, 2]] });
    await poll();
    assert.match(lines.at(-1)!, /failed: TopologyReconciled False \(ReconcileFailed\): failed to reconcile the ControlPlane/);
    await poll(GRACE / 2);
    assert.equal(settled, 'pending', 'half the grace: still waiting');
    // The controller's retry succeeds: progressing again, which resets the grace.
    await playController('edge-d', { generation: g, topology: ['False', 'ClusterUpgrading', `Cluster is upgrading to ${TO}`], cp: [[FROM, 2], [TO, 1]], workers: [[FROM, 2]] });
    await poll();
    assert.match(lines.at(-1)!, /waiting: TopologyReconciled False \(ClusterUpgrading\)/);
    await playController('edge-d', { generation: g, topology: ['False', 'ReconcileFailed', why], cp: [[FROM, 2], [TO, 1]], workers: [[FROM, 2]] });
    await poll();
    await poll(GRACE - 2 * POLL);
    assert.equal(settled, 'pending', 'the grace counts from the second failure, not the first');
    await poll(2 * POLL);
    await run;
    const result = settled as 'pending' | 'resolved' | Error;
    assert.ok(result instanceof Error, 'failed once the failure lasted the grace');
    assert.match(result.message, /^Cluster h16c-capi-\S+\/edge-d: TopologyReconciled False \(ReconcileFailed\): failed to reconcile the ControlPlane: etcdserver: request timed out$/);
  });

  test('strict server-side dry run of what the provider writes: accepted, nothing persisted; a misspelled field is refused by the CRD schema', async () => {
    await createCluster('edge-c', FROM);
    const before1 = await get('edge-c');
    const provider = clusterApiUpgradeProvider({ management: client });
    const dry = await provider.dryRun(fleetCluster('edge-c'), TO) as KubeObject & { spec: { topology: { version: string } } };
    assert.equal(dry.spec.topology.version, TO, 'the server answered the object as it would store it');
    const live = await get('edge-c');
    assert.equal(live.spec.topology.version, FROM, 'nothing persisted');
    assert.equal(live.metadata.generation, before1.metadata.generation);
    // The same request with the version misspelled: the strict validation of the real schema refuses it.
    const patch = topologyVersionPatch(TO) as { spec: { topology: Record<string, unknown> } };
    await assert.rejects(
      client.mergePatch(ref('edge-c'), { spec: { topology: { versoin: patch.spec.topology.version } } }, { fieldManager: CAPI_FIELD_MANAGER, dryRun: true }),
      /unknown field "spec\.topology\.versoin"/,
    );
    // A version the schema refuses (empty: minLength 1) is not written either.
    await assert.rejects(provider.upgrade(fleetCluster('edge-c'), '', () => undefined), /spec\.topology\.version/);
    assert.equal((await get('edge-c')).spec.topology.version, FROM);
    // A Cluster without a topology is refused before anything is written.
    await client.apply({ apiVersion: CAPI_API_VERSION, kind: 'Cluster', metadata: { name: 'plain', namespace: ns.name }, spec: { controlPlaneRef: { apiGroup: 'controlplane.cluster.x-k8s.io', kind: 'KubeadmControlPlane', name: 'plain-cp' } } }, { fieldManager: CREATOR });
    await assert.rejects(provider.upgrade(fleetCluster('plain'), TO, () => undefined), /no spec\.topology/);
  });
});
