// Every CRD the product renders to is served by the testbed's API servers (server-side dry-run create
// with strict field validation, so an unknown field would fail), and the default StorageClass binds a
// PersistentVolumeClaim that a pod then mounts on a kwok node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../src/domain/types.ts';
import { DEFAULT_STORAGE_CLASS, REQUIRED_CRDS, binaryPath } from '../../testbed/index.ts';
import { getTestbed, withNamespace, type TestCluster } from '../helpers/testbed.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IMAGE = 'registry.example.com/model-server:1.0.0';

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 120_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(300);
  }
}

/** `kubectl create --dry-run=server --validate=strict`: a create request with dryRun=All&fieldValidation=Strict. */
async function dryRunCreate(cluster: TestCluster, obj: Record<string, unknown>): Promise<{ ok: boolean; out: string }> {
  const child = run(binaryPath('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-']);
  child.child.stdin?.end(JSON.stringify(obj));
  try {
    const { stdout } = await child;
    return { ok: true, out: stdout.trim() };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

const machineSpec = { clusterName: 'edge-1', bootstrap: { dataSecretName: 'edge-1-bootstrap' }, infrastructureRef: { apiGroup: 'infrastructure.cluster.x-k8s.io', kind: 'DockerMachine', name: 'edge-1-md-0' } };
const runtimeSpec = { supportedModelFormats: [{ name: 'sklearn', version: '1', autoSelect: true }], containers: [{ name: 'kserve-container', image: IMAGE }] };
const trainingRuntime = { mlPolicy: { numNodes: 1, torch: {} }, template: { spec: { replicatedJobs: [{ name: 'node', template: { spec: { template: { spec: { containers: [{ name: 'node', image: IMAGE }] } } } } }] } } };
const triggerAuth = { secretTargetRef: [{ parameter: 'password', name: 'metrics-auth', key: 'password' }] };

/** One minimal, realistic object per CRD kind `up` installs beyond the original four projects. */
function objects(ns: string, suffix: string): Array<{ crd: string; obj: Record<string, unknown> }> {
  const meta = (name: string, namespaced = true) => ({ name: `${name}-${suffix}`, ...(namespaced ? { namespace: ns } : {}) });
  return [
    { crd: 'clusters.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: meta('edge'), spec: { topology: { classRef: { name: 'fleet-class' }, version: 'v1.37.2' } } } },
    { crd: 'clusterclasses.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'ClusterClass', metadata: meta('fleet-class'), spec: { controlPlane: { templateRef: { apiVersion: 'controlplane.cluster.x-k8s.io/v1beta2', kind: 'KubeadmControlPlaneTemplate', name: 'cp' } }, infrastructure: { templateRef: { apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta2', kind: 'DockerClusterTemplate', name: 'infra' } } } } },
    { crd: 'machines.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Machine', metadata: meta('m'), spec: machineSpec } },
    { crd: 'machinesets.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineSet', metadata: meta('ms'), spec: { clusterName: 'edge-1', selector: { matchLabels: { pool: 'a' } }, template: { metadata: { labels: { pool: 'a' } }, spec: machineSpec } } } },
    { crd: 'machinedeployments.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDeployment', metadata: meta('md'), spec: { clusterName: 'edge-1', replicas: 2, selector: { matchLabels: { pool: 'a' } }, template: { metadata: { labels: { pool: 'a' } }, spec: { ...machineSpec, version: 'v1.37.2' } } } } },
    { crd: 'machinepools.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachinePool', metadata: meta('mp'), spec: { clusterName: 'edge-1', replicas: 1, template: { spec: machineSpec } } } },
    { crd: 'machinehealthchecks.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineHealthCheck', metadata: meta('mhc'), spec: { clusterName: 'edge-1', selector: { matchLabels: { pool: 'a' } } } } },
    { crd: 'machinedrainrules.cluster.x-k8s.io', obj: { apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'MachineDrainRule', metadata: meta('mdr'), spec: { drain: { behavior: 'Skip' }, pods: [{ selector: { matchLabels: { app: 'agent' } } }] } } },
    { crd: 'verticalpodautoscalers.autoscaling.k8s.io', obj: { apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscaler', metadata: meta('web'), spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, updatePolicy: { updateMode: 'Off' }, resourcePolicy: { containerPolicies: [{ containerName: '*', controlledResources: ['cpu', 'memory'] }] } } } },
    { crd: 'verticalpodautoscalercheckpoints.autoscaling.k8s.io', obj: { apiVersion: 'autoscaling.k8s.io/v1', kind: 'VerticalPodAutoscalerCheckpoint', metadata: meta('web-app'), spec: { vpaObjectName: 'web', containerName: 'app' } } },
    { crd: 'inferenceservices.serving.kserve.io', obj: { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: meta('iris'), spec: { predictor: { minReplicas: 1, model: { modelFormat: { name: 'sklearn' }, storageUri: 'pvc://models/iris', resources: { limits: { 'nvidia.com/gpu': '1' } } } } } } },
    { crd: 'servingruntimes.serving.kserve.io', obj: { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ServingRuntime', metadata: meta('sklearn'), spec: runtimeSpec } },
    { crd: 'clusterservingruntimes.serving.kserve.io', obj: { apiVersion: 'serving.kserve.io/v1alpha1', kind: 'ClusterServingRuntime', metadata: meta('sklearn', false), spec: runtimeSpec } },
    { crd: 'services.serving.knative.dev', obj: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: meta('hello'), spec: { template: { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': '0' } }, spec: { containers: [{ image: IMAGE }] } } } } },
    { crd: 'configurations.serving.knative.dev', obj: { apiVersion: 'serving.knative.dev/v1', kind: 'Configuration', metadata: meta('hello'), spec: { template: { spec: { containers: [{ image: IMAGE }] } } } } },
    { crd: 'revisions.serving.knative.dev', obj: { apiVersion: 'serving.knative.dev/v1', kind: 'Revision', metadata: meta('hello-00001'), spec: { containers: [{ image: IMAGE }] } } },
    { crd: 'routes.serving.knative.dev', obj: { apiVersion: 'serving.knative.dev/v1', kind: 'Route', metadata: meta('hello'), spec: { traffic: [{ configurationName: 'hello', percent: 100 }] } } },
    { crd: 'scaledobjects.keda.sh', obj: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: meta('web'), spec: { scaleTargetRef: { name: 'web' }, minReplicaCount: 0, maxReplicaCount: 5, triggers: [{ type: 'prometheus', metadata: { serverAddress: 'http://prometheus.monitoring:9090', query: 'sum(rate(http_requests_total[1m]))', threshold: '10' } }] } } },
    { crd: 'triggerauthentications.keda.sh', obj: { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', metadata: meta('prom'), spec: triggerAuth } },
    { crd: 'clustertriggerauthentications.keda.sh', obj: { apiVersion: 'keda.sh/v1alpha1', kind: 'ClusterTriggerAuthentication', metadata: meta('prom', false), spec: triggerAuth } },
    { crd: 'trainjobs.trainer.kubeflow.org', obj: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: meta('fine-tune'), spec: { runtimeRef: { name: 'torch-distributed' }, trainer: { numNodes: 1, resourcesPerNode: { limits: { 'nvidia.com/gpu': '1' } } } } } },
    { crd: 'trainingruntimes.trainer.kubeflow.org', obj: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainingRuntime', metadata: meta('torch'), spec: trainingRuntime } },
    { crd: 'clustertrainingruntimes.trainer.kubeflow.org', obj: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'ClusterTrainingRuntime', metadata: meta('torch', false), spec: trainingRuntime } },
    { crd: 'pytorchjobs.kubeflow.org', obj: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: meta('fine-tune'), spec: { pytorchReplicaSpecs: { Master: { replicas: 1, restartPolicy: 'OnFailure', template: { spec: { containers: [{ name: 'pytorch', image: IMAGE }] } } } } } } },
  ];
}

test('every CRD the product renders to accepts a minimal object (strict server-side dry-run create) and rejects an unknown field', async () => {
  const { clusters } = await getTestbed();
  const cluster = clusters[0]!;
  await withNamespace(cluster, 'tb-crds', async (ns) => {
    const list = objects(ns.name, randomBytes(3).toString('hex'));
    // Each CRD added for these projects gets an object here (the original four are used by other tests).
    const covered = new Set(list.map((x) => x.crd));
    const fromNewProjects = REQUIRED_CRDS.filter((c) => /cluster\.x-k8s\.io|autoscaling\.k8s\.io|kserve|knative|keda\.sh|kubeflow\.org/.test(c));
    assert.deepEqual([...covered].sort(), [...fromNewProjects].sort());
    const results = await Promise.all(list.map(async (x) => ({ ...x, res: await dryRunCreate(cluster, x.obj) })));
    const rejected = results.filter((r) => !r.res.ok).map((r) => `${r.crd}: ${r.res.out}`);
    assert.deepEqual(rejected, [], 'every object accepted');
    // `-o name` prints what the server returned: kind.group/name, for the object as sent.
    for (const r of results) {
      const o = r.obj as { apiVersion: string; kind: string; metadata: { name: string } };
      assert.equal(r.res.out, `${o.kind.toLowerCase()}.${o.apiVersion.split('/')[0]}/${o.metadata.name}`, r.crd);
    }
    // Strict validation is really on: the same object with one unknown field is refused.
    const vpa = list.find((x) => x.crd.startsWith('verticalpodautoscalers'))!.obj as { spec: Record<string, unknown> };
    const bad = await dryRunCreate(cluster, { ...vpa, spec: { ...vpa.spec, updateMod: 'Off' } });
    assert.equal(bad.ok, false);
    assert.match(bad.out, /unknown field "spec\.updateMod"/);
    // Dry runs persisted nothing.
    assert.equal((await ns.client.list('autoscaling.k8s.io/v1', 'VerticalPodAutoscaler', { namespace: ns.name })).length, 0);
  });
});

type Pvc = KubeObject & { spec: { storageClassName?: string; volumeName?: string }; status?: { phase?: string } };
type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string } };

test('a PVC of the default StorageClass becomes Bound and a pod that mounts it is scheduled and Running', async () => {
  const { clusters } = await getTestbed();
  const cluster = clusters[0]!;
  await withNamespace(cluster, 'tb-pvc', async (ns) => {
    // No storageClassName: the DefaultStorageClass admission plugin fills in the default class.
    await ns.client.apply({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'models', namespace: ns.name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } });
    const pvc = await eventually('PVC Bound', async () => {
      const p = (await ns.client.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns.name, name: 'models' })) as Pvc | undefined;
      return p?.status?.phase === 'Bound' ? p : undefined;
    });
    assert.equal(pvc.spec.storageClassName, DEFAULT_STORAGE_CLASS);
    const pv = (await ns.client.get({ apiVersion: 'v1', kind: 'PersistentVolume', name: pvc.spec.volumeName! })) as (KubeObject & { spec: { capacity: { storage: string }; claimRef: { name: string; namespace: string } } }) | undefined;
    assert.ok(pv, 'the PV the claim is bound to exists');
    assert.equal(pv.spec.capacity.storage, '2Gi');
    assert.deepEqual([pv.spec.claimRef.namespace, pv.spec.claimRef.name], [ns.name, 'models']);
    await ns.client.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'model-server', namespace: ns.name },
      spec: { containers: [{ name: 'server', image: IMAGE, volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }] }], volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'models', readOnly: true } }] },
    });
    const pod = await eventually('pod Running', async () => {
      const p = (await ns.client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: 'model-server' })) as Pod | undefined;
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(pod.spec.nodeName ?? '', /-general-\d+$/, 'scheduled onto a kwok node');
  });
});
