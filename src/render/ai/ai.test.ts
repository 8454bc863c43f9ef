// The AI component kinds and scale to zero (docs/ai-workloads.md): what each renders as for each set
// of cluster capabilities (snapshots of every AI object and the renderer's explanation), the model
// storage and readiness rules, and the fences that keep a tenant's model storage and credentials its
// own. The same objects are created with strict server-side validation on the testbed's real CRDs in
// test/integration/ai-render-strict.test.ts; the engine and API run them on the testbed in
// test/integration/engine-ai.test.ts.
/* eslint-disable @typescript-eslint/no-explicit-any -- the tests poke at rendered objects and blueprint documents by path */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { matchSnapshot } from '../../../test/helpers/snapshot.ts';
import { parseBlueprint, type Blueprint } from '../../domain/blueprint.ts';
import { canonicalize, canonicalYaml } from '../../domain/canonical.ts';
import type { ClusterCapability } from '../../domain/capabilities.ts';
import { InputError } from '../../domain/errors.ts';
import { LABELS, type KubeObject } from '../../domain/types.ts';
import { imageTag } from './serving.ts';
import { explainedChoices, renderEnvironment, renderEnvironments, renderTrainingRun, type RenderInput } from '../index.ts';

const root = join(import.meta.dirname, '../../..');
const text = readFileSync(join(root, 'blueprints/ai-platform/1.0.0.yaml'), 'utf8');
const bp = parseBlueprint(text);
const snapDir = join(import.meta.dirname, '../__snapshots__');
const AI = new Set(['chat', 'llm', 'ranker', 'embed', 'finetune']);
const ALL: ClusterCapability[] = ['kserve', 'knative-serving', 'keda', 'kubeflow-trainer'];

function input(capabilities: ClusterCapability[], over: Partial<RenderInput> = {}, blueprint: Blueprint = bp): RenderInput {
  return { tenant: { slug: 'acme', name: 'Acme', tier: 'shared' }, environment: { name: 'dev', type: 'dev' }, blueprint, placement: { cluster: 'fp-1' }, capabilities, ...over };
}

type Obj = KubeObject & { spec?: any };
const find = (objs: KubeObject[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o as Obj;
};
const objectsOf = (i: RenderInput): KubeObject[] => renderEnvironment(i).objects.map((o) => o.object);
const blueprintWith = (mutate: (doc: any) => void): any => {
  const doc = JSON.parse(JSON.stringify({ apiVersion: bp.apiVersion, kind: bp.kind, metadata: bp.metadata, spec: bp.spec }));
  mutate(doc);
  return doc;
};
const comp = (doc: any, name: string): any => doc.spec.components.find((c: any) => c.name === name);

function issueOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.issues[0]!;
  }
  assert.fail('expected an InputError');
}

describe('AI kinds: snapshots per set of cluster capabilities', () => {
  const sets: Record<string, ClusterCapability[]> = { none: [], all: ALL, knative: ['knative-serving'], keda: ['keda'], kserve: ['kserve'] };
  for (const [name, caps] of Object.entries(sets)) {
    it(`${name}: the AI objects, the training runs and the renderer's choices`, () => {
      const r = renderEnvironment(input(caps));
      const objects = r.objects.map((o) => o.object).filter((o) => AI.has(o.metadata.labels?.[LABELS.component] ?? '') && o.kind !== 'ServiceAccount')
        .map((o) => canonicalize({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [LABELS.revision]: '<revision>' } } }));
      const run = renderTrainingRun(input(caps), 'finetune', { id: 'r1' });
      matchSnapshot(join(snapDir, `ai-platform-1.0.0.dev.${name}.yaml`), canonicalYaml({ choices: r.choices, objects, trainingRun: { form: run.form, gpus: run.gpus, object: run.object } }));
    });
  }
});

describe('model-server: model storage, GPUs and readiness', () => {
  const objs = objectsOf(input([]));

  it('a PVC source is the environment\'s own claim, mounted read-only where the server reads the model', () => {
    const pvc = find(objs, 'PersistentVolumeClaim', 'llm-model');
    assert.equal(pvc.metadata.namespace, 'acme-dev');
    assert.deepEqual(pvc.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '40Gi' } }, storageClassName: 'standard', volumeMode: 'Filesystem' });
    const pod = find(objs, 'Deployment', 'llm').spec.template.spec;
    assert.deepEqual(pod.volumes[0], { name: 'model', persistentVolumeClaim: { claimName: 'llm-model', readOnly: true } });
    const c = pod.containers[0];
    assert.deepEqual(c.volumeMounts[0], { mountPath: '/mnt/models', name: 'model', readOnly: true });
    assert.ok(c.env.some((e: any) => e.name === 'MODEL_PATH' && e.value === '/mnt/models/llama-3-8b'));
    // The quota caps what claims may request.
    assert.equal(find(objs, 'ResourceQuota', 'environment-quota').spec.hard['requests.storage'], '100Gi');
  });

  it('readiness waits for the model: the ready path on the first port, and a startup budget of loadTimeoutSeconds', () => {
    const c = find(objs, 'Deployment', 'llm').spec.template.spec.containers[0];
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/v2/health/ready', port: 'http' });
    assert.equal(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold, 900);
    const embed = find(objs, 'Deployment', 'embed').spec.template.spec.containers[0];
    assert.deepEqual(embed.readinessProbe.httpGet, { path: '/ready', port: 'http' });
  });

  it('an object-store URI is pulled by an init step that alone gets the credentials (by reference), into a read-only mount', () => {
    const pod = find(objs, 'Deployment', 'embed').spec.template.spec;
    const init = pod.initContainers[0];
    assert.equal(init.name, 'model-puller');
    assert.deepEqual(init.args, ['s3://acme-ai-models/tenants/acme/dev/embed/v3', '/mnt/models']);
    assert.deepEqual(init.envFrom, [{ secretRef: { name: 'model-store' } }]);
    assert.equal(init.securityContext.runAsNonRoot, true);
    assert.deepEqual(init.resources.limits['ephemeral-storage'], '4Gi');
    assert.deepEqual(pod.volumes[0], { emptyDir: { sizeLimit: '4Gi' }, name: 'model' });
    const main = pod.containers[0];
    assert.equal(main.envFrom, undefined, 'the server never sees the store credentials');
    assert.deepEqual(main.volumeMounts[0], { mountPath: '/mnt/models', name: 'model', readOnly: true });
    // The credentials are an ExternalSecret read through the environment's own store, below its own path.
    const es = find(objs, 'ExternalSecret', 'model-store');
    assert.equal(es.spec.secretStoreRef.kind, 'SecretStore');
    assert.ok(JSON.stringify(es.spec).includes('tenants/acme/dev/model-store'));
    assert.equal(objs.some((o) => o.kind === 'Secret'), false, 'no Secret object, no value');
  });

  it('GPUs: extended resource with node selector, product label and toleration, or a DRA device class', () => {
    const pod = find(objs, 'Deployment', 'llm').spec.template.spec;
    assert.deepEqual(pod.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.deepEqual(pod.tolerations, [{ effect: 'NoSchedule', key: 'nvidia.com/gpu', operator: 'Exists' }]);
    assert.equal(pod.containers[0].resources.limits['nvidia.com/gpu'], '1');
    assert.deepEqual(find(objs, 'Deployment', 'llm').spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
    const product = objectsOf(input([], {}, parseBlueprint(blueprintWith((d) => { comp(d, 'llm').gpu = { count: 2, product: 'NVIDIA-A100-SXM4-80GB' }; }))));
    assert.equal(find(product, 'Deployment', 'llm').spec.template.spec.nodeSelector['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-80GB');
    const dra = objectsOf(input([], {}, parseBlueprint(blueprintWith((d) => { comp(d, 'llm').gpu = { count: 2, deviceClass: 'gpu.nvidia.com' }; }))));
    assert.deepEqual(find(dra, 'ResourceClaimTemplate', 'llm-gpu').spec, { spec: { devices: { requests: [{ exactly: { allocationMode: 'ExactCount', count: 2, deviceClassName: 'gpu.nvidia.com' }, name: 'gpu' }] } } });
    const draPod = find(dra, 'Deployment', 'llm').spec.template.spec;
    assert.deepEqual(draPod.resourceClaims, [{ name: 'gpu', resourceClaimTemplateName: 'llm-gpu' }]);
    assert.deepEqual(draPod.containers[0].resources.claims, [{ name: 'gpu' }]);
    assert.equal(draPod.containers[0].resources.limits['nvidia.com/gpu'], undefined);
    assert.equal(draPod.nodeSelector, undefined);
  });

  it('a hybrid tenant runs every AI kind on its own pool', () => {
    const o = objectsOf(input([], { tenant: { slug: 'acme', name: 'Acme', tier: 'hybrid' } }));
    for (const n of ['llm', 'ranker', 'embed']) assert.ok(find(o, 'Deployment', n).spec.template.spec.tolerations.some((t: any) => t.key === 'fleetplane.io/dedicated-pool' && t.value === 'acme'), n);
    const run = renderTrainingRun(input([], { tenant: { slug: 'acme', name: 'Acme', tier: 'hybrid' } }), 'finetune', { id: 'x' });
    assert.ok((run.object as Obj).spec.template.spec.tolerations.some((t: any) => t.key === 'fleetplane.io/dedicated-pool'));
  });
});

describe('inference-service and scale to zero: chosen by what the cluster has', () => {
  it('imageTag: the tag KServe is told to keep (runtimeVersion); none for a digest or an untagged image behind a registry port', () => {
    assert.equal(imageTag('registry.example.com/acme-ai/ranker-server:1.0.0'), '1.0.0');
    assert.equal(imageTag('registry.example.com:5000/ranker-server'), undefined, 'the port is not a tag');
    assert.equal(imageTag('registry.example.com:5000/ranker-server:v2_rc-1'), 'v2_rc-1');
    assert.equal(imageTag('ranker-server@sha256:' + 'a'.repeat(64)), undefined, 'KServe leaves a digest alone');
    assert.equal(imageTag('ranker-server:1.0.0@sha256:' + 'a'.repeat(64)), undefined);
  });

  it('KServe present: an InferenceService with the same model (pvc:// of the environment\'s claim), GPU and security; Serverless only with Knative', () => {
    const isvc = find(objectsOf(input(['kserve'])), 'InferenceService', 'ranker');
    assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
    assert.equal(isvc.metadata.annotations!['serving.kserve.io/deploymentMode'], 'Standard', 'KServe 0.17\'s name for RawDeployment (its webhook rewrites the old one)');
    const p = isvc.spec.predictor;
    assert.equal(p.model.storageUri, 'pvc://ranker-model/ranker-v2');
    assert.deepEqual(p.model.modelFormat, { name: 'pytorch' });
    // Regression (found by KServe's own validating webhook on the testbed): `predictor.model` must not name its container.
    assert.equal(p.model.name, undefined, 'KServe refuses a name on a standard predictor; its defaulter names it kserve-container');
    // Regression (seen on the testbed): without runtimeVersion KServe ran a GPU model of the kserve-torchserve runtime as <image>:<tag>-gpu.
    assert.equal(p.model.runtimeVersion, p.model.image.split(':').pop(), 'the image\'s own tag, so KServe keeps it');
    assert.equal(p.model.resources.limits['nvidia.com/gpu'], '1');
    assert.equal(p.minReplicas, 1, 'no Knative: KServe cannot scale to zero');
    assert.equal(p.securityContext.runAsNonRoot, true);
    assert.deepEqual(p.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    const serverless = find(objectsOf(input(['kserve', 'knative-serving'])), 'InferenceService', 'ranker');
    assert.equal(serverless.metadata.annotations!['serving.kserve.io/deploymentMode'], 'Knative', 'formerly Serverless');
    assert.equal(serverless.spec.predictor.minReplicas, 0);
    // No Deployment or Service of ours for it: KServe makes them.
    const o = objectsOf(input(['kserve']));
    assert.equal(o.some((x) => x.metadata.name === 'ranker' && (x.kind === 'Deployment' || x.kind === 'Service')), false);
  });

  it('KEDA first for a Deployment (same Deployment and Service, a ScaledObject from 0 instead of an HPA), Knative when KEDA cannot', () => {
    const keda = objectsOf(input(['keda']));
    const so = find(keda, 'ScaledObject', 'chat');
    assert.equal(so.spec.minReplicaCount, 0);
    assert.equal(so.spec.cooldownPeriod, 600);
    assert.equal(so.spec.triggers[0].metadata.query, 'sum(rate(http_requests_total{namespace="acme-dev",service="chat"}[2m]))');
    assert.equal(find(keda, 'Deployment', 'chat').spec.replicas, undefined, 'KEDA owns the replica count');
    assert.ok(keda.some((x) => x.kind === 'Service' && x.metadata.name === 'chat'));
    const kn = objectsOf(input(['knative-serving']));
    const ks = find(kn, 'Service', 'chat');
    assert.equal(ks.apiVersion, 'serving.knative.dev/v1');
    assert.equal(ks.spec.template.metadata.annotations['autoscaling.knative.dev/min-scale'], '0');
    assert.equal(ks.spec.template.spec.containers[0].securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(kn.some((x) => x.kind === 'Deployment' && x.metadata.name === 'chat'), false);
    assert.ok(kn.some((x) => x.kind === 'HTTPRoute' && x.metadata.name === 'chat'), 'still routed, to the Knative Service');
    const none = renderEnvironment(input([]));
    const chat = none.choices.find((c) => c.component === 'chat')!;
    assert.equal(chat.scaler, 'none');
    assert.match(chat.reason, /neither KEDA nor Knative Serving is installed/);
  });

  it('a replica count set by hand turns scale to zero off, and says so', () => {
    const r = renderEnvironment(input(['keda'], { environment: { name: 'dev', type: 'dev', values: { components: { chat: { replicas: 2 } } } } }));
    const chat = r.choices.find((c) => c.component === 'chat')!;
    assert.equal(chat.scaler, 'none');
    assert.equal(chat.minReplicas, 2);
    assert.match(chat.reason, /set by hand/);
  });

  it('the choices a render reports include an inference-service served as a Deployment without KServe, with or without scaleToZero', () => {
    // Regression: the engine's render step kept only non-Deployment forms and scale-to-zero answers,
    // so an inference-service without scaleToZero fell back to a Deployment unexplained.
    const plain = blueprintWith((doc) => { delete comp(doc, 'ranker').scaleToZero; });
    for (const b of [bp, parseBlueprint(plain)]) {
      const shown = explainedChoices(renderEnvironment(input([], {}, b)).choices);
      const ranker = shown.find((c) => c.component === 'ranker');
      assert.equal(ranker?.form, 'Deployment');
      assert.match(ranker?.reason ?? '', /^KServe is not installed on this cluster: a Deployment with the same model, GPU and readiness/);
      assert.equal(shown.find((c) => c.component === 'finetune')?.form, 'Job');
      assert.equal(shown.some((c) => c.component === 'llm' || c.component === 'embed'), false, 'a plain model-server Deployment is not a decision');
    }
    const kserve = explainedChoices(renderEnvironment(input(['kserve'])).choices).find((c) => c.component === 'ranker');
    assert.equal(kserve?.form, 'InferenceService');
  });

  it('bulk rendering gives the same objects and choices for every capability set', () => {
    const inputs = [input([]), input(['keda']), input(ALL), input(['knative-serving']), input(['keda'], { tenant: { slug: 'other', name: 'O', tier: 'shared' } })];
    const bulk = renderEnvironments(inputs);
    inputs.forEach((i, n) => assert.deepEqual(bulk[n], renderEnvironment(i)));
    assert.notEqual(bulk[0]!.revision, bulk[1]!.revision);
  });
});

describe('training-job: one run per API call, as a TrainJob or a batch Job', () => {
  it('without Trainer: an Indexed batch Job with the component\'s pod on GPU nodes, never retried more than backoffLimit', () => {
    const run = renderTrainingRun(input([]), 'finetune', { id: 'r1', args: ['--epochs', '1'] });
    assert.equal(run.form, 'Job');
    assert.equal(run.gpus, 1);
    const job = run.object as Obj;
    assert.equal(job.metadata.name, 'finetune-r1');
    assert.equal(job.metadata.labels!['fleetplane.io/training-run'], 'r1');
    assert.equal(job.spec.backoffLimit, 1);
    assert.equal(job.spec.activeDeadlineSeconds, 7200);
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['--epochs', '1']);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.deepEqual(job.spec.template.spec.nodeSelector, { 'nvidia.com/gpu.present': 'true' });
    assert.equal(job.spec.template.metadata.labels['fleetplane.io/training-run'], 'r1');
    // Nothing of the run is in the revision.
    assert.equal(objectsOf(input([])).some((o) => o.kind === 'Job' || o.kind === 'TrainJob'), false);
  });

  it('with Trainer: a TrainingRuntime in the revision and a TrainJob of it per run', () => {
    assert.ok(find(objectsOf(input(['kubeflow-trainer'])), 'TrainingRuntime', 'finetune'));
    const run = renderTrainingRun(input(['kubeflow-trainer']), 'finetune', { id: 'r2' });
    assert.equal(run.object.kind, 'TrainJob');
    assert.deepEqual((run.object as Obj).spec.runtimeRef, { apiGroup: 'trainer.kubeflow.org', kind: 'TrainingRuntime', name: 'finetune' });
  });

  it('bad run requests name the field', () => {
    assert.equal(issueOf(() => renderTrainingRun(input([]), 'finetune', { id: 'Bad_ID' })).field, '/id');
    assert.equal(issueOf(() => renderTrainingRun(input([]), 'llm', { id: 'a' })).field, '/component');
    assert.equal(issueOf(() => renderTrainingRun(input([]), 'nope', { id: 'a' })).field, '/component');
    assert.equal(issueOf(() => renderTrainingRun(input([]), 'finetune', { id: 'a', args: [1 as unknown as string] })).field, '/args');
  });
});

describe('cross-tenant: a tenant\'s model storage and credentials cannot name another tenant\'s', () => {
  it('a blueprint cannot point a model at an existing claim or volume (no claimName, no volumeName)', () => {
    const byClaim = issueOf(() => parseBlueprint(blueprintWith((d) => { comp(d, 'llm').model.source.pvc.claimName = 'other-tenant-models'; })));
    assert.equal(byClaim.field, '/spec/components/1/model/source/pvc/claimName');
    const byVolume = issueOf(() => parseBlueprint(blueprintWith((d) => { comp(d, 'llm').model.source.pvc.volumeName = 'pv-1'; })));
    assert.equal(byVolume.field, '/spec/components/1/model/source/pvc/volumeName');
  });

  it('environment values cannot change a model source', () => {
    const i = issueOf(() => renderEnvironment(input([], { environment: { name: 'dev', type: 'dev', values: { components: { llm: { model: { source: { pvc: { size: '1Gi' } } } } } } } })));
    assert.match(i.field, /^\/values\/components\/llm/);
  });

  it('model credentials are only a reference to one of the component\'s own (fenced) secrets', () => {
    const unknown = issueOf(() => parseBlueprint(blueprintWith((d) => { comp(d, 'embed').model.source.uri.credentials = 'someone-elses'; })));
    assert.equal(unknown.field, '/spec/components/3/model/source/uri/credentials');
    const inline = issueOf(() => parseBlueprint(blueprintWith((d) => { comp(d, 'embed').model.source.uri.accessKey = 'AKIA...'; })));
    assert.equal(inline.field, '/spec/components/3/model/source/uri/accessKey');
    const other = parseBlueprint(blueprintWith((d) => { comp(d, 'embed').secrets[0].remoteRef.key = 'tenants/initech/dev/model-store'; }));
    assert.equal(issueOf(() => renderEnvironment(input([], {}, other))).field, '/spec/components/3/secrets/0/remoteRef/key');
    const viaValues = issueOf(() => renderEnvironment(input([], { environment: { name: 'dev', type: 'dev', values: { secrets: { 'model-store': { remoteRef: { key: 'tenants/initech/dev/model-store' } } } } } })));
    assert.equal(viaValues.field, '/values/secrets/model-store/remoteRef/key');
  });

  it('with a model store named by the platform, a URI must lie below the environment\'s own prefix', () => {
    const platform = { modelStorePrefix: 's3://acme-ai-models/' };
    assert.ok(renderEnvironment(input([], { platform })));
    const other = parseBlueprint(blueprintWith((d) => { comp(d, 'embed').model.source.uri.uri = 's3://acme-ai-models/tenants/initech/dev/embed/v3'; }));
    const i = issueOf(() => renderEnvironment(input([], { platform }, other)));
    assert.equal(i.field, '/spec/components/3/model/source/uri/uri');
    assert.match(i.message, /below s3:\/\/acme-ai-models\/tenants\/acme\/dev\//);
    const dots = parseBlueprint(blueprintWith((d) => { comp(d, 'embed').model.source.uri.uri = 's3://acme-ai-models/tenants/${tenant.slug}/${env.name}/../../initech/dev/x'; }));
    assert.equal(issueOf(() => renderEnvironment(input([], { platform }, dots))).field, '/spec/components/3/model/source/uri/uri');
  });

  it('bad AI fields name the field', () => {
    const cases: Array<[(d: any) => void, string]> = [
      [(d) => { delete comp(d, 'ranker').model; }, '/spec/components/2/model'],
      [(d) => { delete comp(d, 'ranker').model.format; }, '/spec/components/2/model/format'],
      [(d) => { comp(d, 'llm').model.path = '../x'; }, '/spec/components/1/model/path'],
      [(d) => { comp(d, 'finetune').scaleToZero = {}; }, '/spec/components/4/scaleToZero'],
      [(d) => { comp(d, 'chat').training = { numNodes: 2 }; }, '/spec/components/0/training'],
      [(d) => { comp(d, 'chat').model = { source: { pvc: { size: '1Gi' } } }; }, '/spec/components/0/model'],
      [(d) => { comp(d, 'llm').gpu = { count: 1, deviceClass: 'gpu.nvidia.com', resource: 'nvidia.com/gpu' }; }, '/spec/components/1/gpu/deviceClass'],
      [(d) => { comp(d, 'embed').model.source.uri.uri = 'file:///etc/passwd'; }, '/spec/components/3/model/source/uri/uri'],
      [(d) => { d.spec.environmentTypes.dev.hibernation = { off: [{ start: '25:00', end: '07:00' }] }; }, '/spec/environmentTypes/dev/hibernation/off/0/start'],
      [(d) => { d.spec.environmentTypes.dev.hibernation = { timezone: 'Mars/Olympus', off: [{ start: '20:00', end: '07:00' }] }; }, '/spec/environmentTypes/dev/hibernation/timezone'],
    ];
    for (const [mutate, field] of cases) assert.equal(issueOf(() => parseBlueprint(blueprintWith(mutate))).field, field, field);
    assert.equal(issueOf(() => renderEnvironment(input(['gpu-magic' as ClusterCapability]))).field, '/capabilities/0');
  });
});

describe('training runs carry the revision they were started from', () => {
  it('the revision given labels the Job and its pods; none given, no empty revision label', () => {
    for (const caps of [[], ['kubeflow-trainer']] as ClusterCapability[][]) {
      const run = renderTrainingRun(input(caps), 'finetune', { id: 'x', revision: 'rev-abc' });
      assert.equal(run.object.metadata.labels![LABELS.revision], 'rev-abc', run.object.kind);
      if (run.object.kind === 'Job') assert.equal((run.object as Obj).spec.template.metadata.labels[LABELS.revision], 'rev-abc');
      const bare = renderTrainingRun(input(caps), 'finetune', { id: 'x' });
      assert.equal(LABELS.revision in bare.object.metadata.labels!, false, `${bare.object.kind}: no empty revision label`);
    }
  });
});
