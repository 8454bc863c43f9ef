// AI workloads end to end (issue #20, docs/ai-workloads.md): the real engine in-process on the real
// store (embedded PGlite, or PostgreSQL when FLEETPLANE_TEST_DATABASE_URL is set), the real API
// (Fastify inject) and one of the testbed's real clusters. The cluster serves the KServe, Knative,
// KEDA and Kubeflow Trainer CRDs but runs none of their controllers, so it is registered as having
// none of them (the cluster's declared `capabilities`, ADR 2001): the inference-service is served as
// the model-server Deployment (and the render step says why) and training runs are Indexed batch
// Jobs, which the cluster's own Job controller and kwok complete. The InferenceService variant, served
// by KServe's own controller, is engine-ai-kserve.test.ts; the shared set-up is engine-ai.fixture.ts.
// Nothing in this file writes an object's status.
//
// Time: the engine's and the API's wall clock is a virtual one the test moves (Wednesday 12:00 UTC
// at the start), so the hibernation scheduler is ticked at chosen instants (hibernationOnce) and
// the saved replica-hours, GPU-hours and training GPU-hours are exact. Nothing asserts on real time:
// the test only waits (polling the store or the cluster) for what the cluster does.
//
// Blueprint (engine-ai.fixture.ts): blueprints/ai-platform/1.0.0.yaml as published, plus a CronJob
// (hibernation suspends it) and a second training-job pinned to a GPU product no testbed node has:
// its run's pod stays Pending, so the run holds its GPU deterministically while the quota is checked.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { probeCapabilities, type KubeClient } from '../../src/adapters/kube/index.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import type { Engine } from '../../src/engine/index.ts';
import { counts, type Harness } from '../helpers/api-harness.ts';
import type { TestCluster } from '../helpers/testbed.ts';
import { HOUR, blueprint, startAiBed, until, type AiBed, type Obj } from './engine-ai.fixture.ts';

/** The serving workloads of the blueprint: chat (web-service), llm and embed (model-server), ranker (inference-service without KServe). */
const SERVING = ['chat', 'embed', 'llm', 'ranker'];
const GPU_SERVING = ['embed', 'llm', 'ranker'];

describe('AI workloads on the testbed: onboard, hibernate and wake, the schedule, training runs, tenant fences', { timeout: 30 * 60_000 }, () => {
  let bed: AiBed;
  let h: Harness;
  let engine: Engine;
  let cluster: TestCluster;
  let kube: KubeClient;
  const now = () => bed.now();
  const advance = (ms: number) => bed.advance(ms);
  const settled = (id: string): Promise<Operation> => bed.settled(id);
  const tenant = `ai-${randomBytes(3).toString('hex')}`;
  const other = `ao-${randomBytes(3).toString('hex')}`;
  const ns = `${tenant}-dev`;
  let otherToken = '';
  let revision = '';

  const env = async (): Promise<Environment> => (await h.store.environments.get(tenant, 'dev'))!;
  const deployments = async (): Promise<Map<string, Obj>> =>
    new Map((await kube.list<Obj>('apps/v1', 'Deployment', { namespace: ns })).map((d) => [d.metadata.name, d]));
  const servingPods = async (): Promise<Obj[]> =>
    (await kube.list<Obj>('v1', 'Pod', { namespace: ns, labelSelector: `fleetplane.io/component in (${SERVING.join(',')})` })).filter((p) => !p.metadata.deletionTimestamp);
  const cronJob = async (): Promise<Obj | null> => kube.get<Obj>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: ns, name: 'reindex' });
  const hibernation = async (token?: string) => h.req('GET', `/v1/environments/${tenant}/dev/hibernation`, token ? { token } : {});
  const act = async (verb: 'hibernate' | 'wake', token?: string) =>
    h.req('POST', `/v1/tenants/${tenant}/environments/dev:${verb}`, { body: { reason: 'e2e' }, ...(token ? { token } : {}) });
  const startRun = async (component: string, id: string, token?: string) =>
    h.req('POST', `/v1/environments/${tenant}/dev/training-jobs`, { body: { component, id }, ...(token ? { token } : {}) });
  const runs = async () => {
    const r = await h.req('GET', `/v1/environments/${tenant}/dev/training-jobs`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { runs: Array<{ component: string; id: string; state: string; form: string; gpus: number; gpuHours: number; message: string | null; finishedAt: string | null }>; gpuHours: number };
  };

  /** Every serving Deployment at its rendered replica count, Ready, not marked hibernated; the CronJob not suspended. */
  async function assertAwake(): Promise<void> {
    const rev = (await h.store.revisions.get(tenant, 'dev', revision))!;
    const rendered = new Map(rev.objects.map((o) => o.object as Obj).filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o.spec.replicas as number]));
    assert.deepEqual([...rendered.keys()].sort(), SERVING);
    const live = await deployments();
    for (const [name, replicas] of rendered) {
      const d = live.get(name)!;
      assert.equal(d.spec.replicas, replicas, `${name}: the rendered replicas again`);
      assert.equal(d.status?.availableReplicas, replicas, `${name}: available`);
      assert.equal(d.metadata.annotations?.['fleetplane.io/hibernated'], undefined, `${name}: no longer marked hibernated`);
      assert.equal(d.metadata.labels?.['fleetplane.io/revision'], revision, `${name}: at the same revision`);
    }
    assert.notEqual((await cronJob())?.spec.suspend, true, 'the CronJob runs again');
    const e = await env();
    assert.deepEqual([e.health, e.appliedRevision], ['Ready', revision]);
    assert.equal(e.conditions.find((c) => c.type === 'Hibernated')?.status, 'False');
  }

  /** Every serving Deployment at 0 (and its pods gone), the CronJob suspended, the revision unchanged. */
  async function assertHibernated(): Promise<void> {
    const live = await deployments();
    for (const name of SERVING) {
      const d = live.get(name)!;
      assert.equal(d.spec.replicas, 0, `${name} at zero`);
      assert.equal(d.metadata.annotations?.['fleetplane.io/hibernated'], 'true');
      assert.equal(d.metadata.labels?.['fleetplane.io/revision'], revision, `${name}: the same revision, held at zero`);
    }
    assert.equal((await cronJob())?.spec.suspend, true, 'the CronJob is suspended');
    // The Deployment controller reports the scale-down and kwok removes the pods after the operation
    // returns: waited for, not read at once (it failed a loaded CI run).
    await until('the serving pods to be gone', async () => (await servingPods()).length === 0);
    await until('no replicas left in any serving Deployment', async () => {
      const now = await deployments();
      return SERVING.every((name) => (now.get(name)?.status?.replicas ?? 0) === 0);
    });
    const e = await env();
    assert.deepEqual([e.health, e.appliedRevision], ['Ready', revision]);
    assert.equal(e.conditions.find((c) => c.type === 'Hibernated')?.status, 'True');
  }

  before(async () => {
    bed = await startAiBed();
    ({ h, engine, cluster, kube } = bed);
    const reg = await h.req('POST', '/v1/clusters', {
      // The testbed has these CRDs but none of their controllers: the cluster is registered as having
      // none of them (Cluster.capabilities), which the engine's render step follows over discovery.
      body: { name: cluster.name, provider: 'local', region: 'local', role: 'shared', apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8'), capabilities: [] },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    assert.deepEqual(reg.body.capabilities, []);
    // The other tenant: a real tenant with its own (self-managed, so never delivered) environment and a tenant-admin token.
    const o = await h.req('POST', '/v1/tenants', { body: { slug: other, name: other, tier: 'shared', channel: 'self-managed', environments: [{ name: 'dev', type: 'dev', blueprint: 'ai-platform', version: '1.0.0' }] } });
    assert.equal(o.status, 202, JSON.stringify(o.body));
    assert.equal((await settled(o.body.operations[0].id)).state, 'succeeded');
    const tok = await h.req('POST', '/v1/tokens', { body: { name: 'other-admin', role: 'tenant-admin', tenant: other } });
    assert.equal(tok.status, 201, JSON.stringify(tok.body));
    otherToken = tok.body.secret;
  });

  after(async () => {
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => false);
    await bed?.stop();
  });

  test('onboarding: the inference-service is the model-server Deployment (explained), model PVCs Bound, GPU pods on GPU nodes, Ready', async () => {
    // The cluster itself serves all four APIs: without the override the engine would render for them.
    assert.deepEqual(await probeCapabilities(kube), ['kserve', 'knative-serving', 'keda', 'kubeflow-trainer']);
    const r = await h.req('POST', '/v1/tenants', { body: { slug: tenant, name: tenant, tier: 'shared', environments: [{ name: 'dev', type: 'dev', blueprint: 'ai-platform', version: '1.0.0', cluster: cluster.name }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const op = await settled(r.body.operations[0].id);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    const render = op.steps.find((s) => s.name === 'render')!;
    const choices = new Map((render.output?.choices as Array<{ component: string; form: string; scaler: string; reason: string }>).map((c) => [c.component, c]));
    assert.equal(choices.get('ranker')?.form, 'Deployment');
    assert.match(choices.get('ranker')!.reason, /^KServe is not installed on this cluster: a Deployment with the same model, GPU and readiness; scaleToZero asked, but neither KEDA nor Knative Serving is installed/);
    assert.equal(choices.get('finetune')?.form, 'Job');
    assert.match(choices.get('finetune')!.reason, /Kubeflow Trainer is not installed on this cluster: each run started through the API is a batch\/v1 Job/);
    assert.match(choices.get('chat')!.reason, /scaleToZero asked, but neither KEDA nor Knative Serving is installed on this cluster: at least one replica stays/);
    revision = String(render.output?.revision);

    // From the cluster: the Deployments (the inference-service among them), none of the CRD kinds, the model claims.
    const live = await deployments();
    assert.deepEqual([...live.keys()].sort(), SERVING);
    const ranker = live.get('ranker')!;
    assert.deepEqual(ranker.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'model').persistentVolumeClaim, { claimName: 'ranker-model', readOnly: true });
    assert.equal(ranker.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], '1');
    assert.deepEqual(ranker.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'MODEL_PATH'), { name: 'MODEL_PATH', value: '/mnt/models/ranker-v2' });
    for (const [apiVersion, kind] of [['serving.kserve.io/v1beta1', 'InferenceService'], ['serving.knative.dev/v1', 'Service'], ['keda.sh/v1alpha1', 'ScaledObject'], ['trainer.kubeflow.org/v1alpha1', 'TrainingRuntime']]) {
      assert.deepEqual(await kube.list(apiVersion!, kind!, { namespace: ns }), [], `no ${kind} in ${ns}`);
    }
    for (const claim of ['llm-model', 'ranker-model']) {
      const pvc = await until(`${claim} Bound`, async () => {
        const p = await kube.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: claim });
        return p?.status?.phase === 'Bound' ? p : null;
      });
      assert.equal(pvc.spec.storageClassName, 'standard');
    }
    // The GPU servers' pods run on GPU nodes (kwok made them Ready; the scheduler placed them).
    const nodes = new Map((await kube.list<Obj>('v1', 'Node')).map((n) => [n.metadata.name, n]));
    for (const p of await servingPods()) {
      const c = p.metadata.labels!['fleetplane.io/component']!;
      assert.equal(p.status?.phase, 'Running', `${p.metadata.name} Running`);
      const gpuNode = nodes.get(p.spec.nodeName)?.metadata.labels?.['nvidia.com/gpu.present'] === 'true';
      assert.equal(gpuNode, GPU_SERVING.includes(c), `${p.metadata.name} on ${p.spec.nodeName}`);
    }
    const got = await h.req('GET', `/v1/environments/${tenant}/dev`);
    assert.equal(got.status, 200);
    assert.deepEqual([got.body.health, got.body.appliedRevision], ['Ready', revision]);
    const st = await hibernation();
    assert.deepEqual([st.body.state, st.body.scheduleSource, st.body.scheduleWantsOffNow, st.body.nextScheduledChange], ['awake', 'environment-type', false, '2026-12-02T20:00:00.000Z']);
  });

  test(':hibernate holds every workload at zero and records what it ran; :wake restores it at the same revision', async () => {
    const h1 = await act('hibernate');
    assert.equal(h1.status, 202, JSON.stringify(h1.body));
    const op = await settled(h1.body.id);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    assert.deepEqual(op.steps.map((s) => [s.name, s.state]), [['hibernate', 'succeeded'], ['deliver', 'succeeded'], ['verify', 'succeeded'], ['record', 'succeeded']]);
    const rec = op.steps[0]!.output!;
    assert.deepEqual([rec.replicas, rec.gpus, rec.revision], [SERVING.length, GPU_SERVING.length, revision], 'one replica of each server, one GPU each for three of them');
    await assertHibernated();
    assert.equal((await act('hibernate')).status, 409, 'already hibernated');
    const train = await startRun('finetune', 'asleep');
    assert.equal(train.status, 409, 'no training run while hibernated');
    assert.match(train.body.detail ?? train.body.title, /hibernated/);
    // A drift pass compares with the revision held at zero: nothing drifted.
    const drift = await engine.reconcileOnce();
    assert.deepEqual(drift.drifted.filter((d) => d.tenant === tenant), []);
    assert.deepEqual(drift.errors, []);

    advance(2 * HOUR);
    const st = await hibernation();
    assert.equal(st.status, 200);
    assert.deepEqual([st.body.state, st.body.since, st.body.revision], ['hibernated', '2026-12-02T12:00:00.000Z', revision]);
    assert.deepEqual(st.body.saved, { replicaHours: 8, gpuHours: 6, hibernatedHours: 2 });
    assert.deepEqual(st.body.periods.map((p: Record<string, unknown>) => [p.startedAt, p.endedAt, p.replicas, p.gpus, p.reason, p.revision]), [['2026-12-02T12:00:00.000Z', null, 4, 3, 'e2e', revision]]);

    const w = await act('wake');
    assert.equal(w.status, 202, JSON.stringify(w.body));
    const wop = await settled(w.body.id);
    assert.equal(wop.state, 'succeeded', wop.error ?? '');
    await assertAwake();
    const live = await deployments();
    assert.equal(SERVING.reduce((s, n) => s + (live.get(n)!.spec.replicas as number), 0), rec.replicas, 'the replicas recorded at hibernation run again');
    assert.equal((await act('wake')).status, 409, 'not hibernated');
    const awake = await hibernation();
    assert.deepEqual([awake.body.state, awake.body.since, awake.body.periods[0].endedAt], ['awake', null, '2026-12-02T14:00:00.000Z']);
  });

  test('the schedule (dev: off 20:00-07:00) hibernates at its off window and wakes at its end, ticked at injected instants', async () => {
    assert.equal(now().toISOString(), '2026-12-02T14:00:00.000Z');
    const first = await engine.hibernationOnce();
    assert.deepEqual(first.queued, [], 'an on window on a first look does nothing');
    assert.deepEqual(first.errors, []);
    assert.equal((await h.store.ai.hibernation(tenant, 'dev'))?.scheduleWants, 'on');

    advance(6 * HOUR); // Wednesday 20:00
    assert.deepEqual((await hibernation()).body.saved, { replicaHours: 8, gpuHours: 6, hibernatedHours: 2 }, 'a closed period no longer grows');
    const off = await engine.hibernationOnce();
    assert.deepEqual(off.queued.map((q) => [q.tenant, q.kind]), [[tenant, 'hibernate']]);
    const hop = await settled(off.queued[0]!.operation);
    assert.equal(hop.state, 'succeeded', hop.error ?? '');
    assert.equal(hop.params.reason, 'schedule');
    await assertHibernated();
    assert.deepEqual((await engine.hibernationOnce()).queued, [], 'the schedule has not changed its mind');

    advance(11 * HOUR); // Thursday 07:00
    const on = await engine.hibernationOnce();
    assert.deepEqual(on.queued.map((q) => [q.tenant, q.kind]), [[tenant, 'wake']]);
    const wop = await settled(on.queued[0]!.operation);
    assert.equal(wop.state, 'succeeded', wop.error ?? '');
    await assertAwake();

    const st = await hibernation();
    assert.deepEqual(st.body.periods.map((p: Record<string, unknown>) => [p.startedAt, p.endedAt, p.reason]), [
      ['2026-12-02T12:00:00.000Z', '2026-12-02T14:00:00.000Z', 'e2e'],
      ['2026-12-02T20:00:00.000Z', '2026-12-03T07:00:00.000Z', 'schedule'],
    ]);
    assert.deepEqual(st.body.saved, { replicaHours: 8 + 44, gpuHours: 6 + 33, hibernatedHours: 13 });
    assert.equal(st.body.nextScheduledChange, '2026-12-03T20:00:00.000Z');
    const night = await h.req('GET', `/v1/tenants/${tenant}/hibernation/savings?from=2026-12-02T20:00:00.000Z&to=2026-12-03T07:00:00.000Z`);
    assert.equal(night.status, 200, JSON.stringify(night.body));
    assert.deepEqual(night.body.total, { replicaHours: 44, gpuHours: 33, hibernatedHours: 11 });
    assert.deepEqual(night.body.environments.map((e: { environment: string }) => e.environment), ['dev']);
  });

  test('training runs: an Indexed batch Job on a GPU node that completes, GPU-hours counted, the training GPU quota answers 409', async () => {
    assert.equal(now().toISOString(), '2026-12-03T07:00:00.000Z');
    const r = await startRun('finetune', 'ft1');
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // Regression: the run followed a fresh probe of the cluster (which lists TrainJob) instead of the
    // revision it runs beside, and became a TrainJob of a TrainingRuntime that was never delivered.
    assert.deepEqual([r.body.form, r.body.object.kind, r.body.object.namespace, r.body.object.name, r.body.gpus, r.body.state], ['Job', 'Job', ns, 'finetune-ft1', 1, 'running']);
    assert.match(r.body.reason, /Kubeflow Trainer is not installed/);
    assert.deepEqual(await kube.list('trainer.kubeflow.org/v1alpha1', 'TrainJob', { namespace: ns }), []);
    const job = (await kube.get<Obj>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'finetune-ft1' }))!;
    assert.deepEqual([job.spec.completionMode, job.spec.completions, job.spec.template.spec.restartPolicy], ['Indexed', 1, 'Never']);
    assert.equal(job.metadata.labels?.['fleetplane.io/revision'], revision, 'the run says which revision it was started from');
    const managers = (job.metadata as { managedFields?: Array<{ manager?: string; operation?: string }> }).managedFields ?? [];
    assert.ok(managers.some((m) => m.manager === 'fleetplane-training' && m.operation === 'Apply'), 'applied by the training field manager');

    advance(30 * 60_000);
    // kwok completes Job pods and the cluster's Job controller marks the Job Complete; the API reads it back.
    const done = await until('run ft1 to finish', async () => {
      const l = await runs();
      const ft1 = l.runs.find((x) => x.id === 'ft1');
      return ft1 && ft1.state !== 'running' ? { l, ft1 } : null;
    });
    assert.equal(done.ft1.state, 'succeeded', done.ft1.message ?? '');
    assert.deepEqual([done.ft1.finishedAt, done.ft1.gpuHours, done.l.gpuHours], ['2026-12-03T07:30:00.000Z', 0.5, 0.5]);
    const completed = (await kube.get<Obj>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'finetune-ft1' }))!;
    assert.ok(completed.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True'), JSON.stringify(completed.status));
    const [pod] = await kube.list<Obj>('v1', 'Pod', { namespace: ns, labelSelector: { 'fleetplane.io/training-run': 'ft1' } });
    assert.equal(pod?.status?.phase, 'Succeeded');
    const node = await kube.get<Obj>({ apiVersion: 'v1', kind: 'Node', name: pod!.spec.nodeName });
    assert.equal(node?.metadata.labels?.['nvidia.com/gpu.present'], 'true', `scheduled onto a GPU node (${pod!.spec.nodeName})`);

    const dup = await startRun('finetune', 'ft1');
    assert.equal(dup.status, 409, 'a run id is used once');
    assert.match(dup.body.detail, /training run "finetune\/ft1" exists/);

    // A run that cannot be scheduled (no node has its GPU product) holds the environment's one training GPU.
    const pinned = await startRun('finetune-pinned', 'p1');
    assert.equal(pinned.status, 201, JSON.stringify(pinned.body));
    await until('the pinned run\'s pod to be refused by the scheduler', async () => {
      const [p] = await kube.list<Obj>('v1', 'Pod', { namespace: ns, labelSelector: { 'fleetplane.io/training-run': 'p1' } });
      return p?.status?.phase === 'Pending' && p.status.conditions?.some((c: { type: string; status: string; reason?: string }) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    });
    const refused = await startRun('finetune', 'ft2');
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.detail, /training quota: this run needs 1 GPU\(s\), 1 of 1 are held by running runs/);
    assert.equal(await kube.get({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'finetune-ft2' }), null, 'nothing created on the cluster');
    advance(15 * 60_000);
    const held = await runs();
    assert.deepEqual(held.runs.map((x) => [x.id, x.state, x.gpuHours]), [['ft1', 'succeeded', 0.5], ['p1', 'running', 0.25]]);
    assert.equal(held.gpuHours, 0.75);

    // The held run's Job removed from the cluster: the run ends (failed, gone) and frees its GPU.
    await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'finetune-pinned-p1' }, { propagationPolicy: 'Background' });
    const gone = await until('run p1 to end', async () => (await runs()).runs.find((x) => x.id === 'p1' && x.state !== 'running'));
    assert.deepEqual([gone.state, gone.message, gone.finishedAt], ['failed', 'the run\'s object is gone from the cluster', '2026-12-03T07:45:00.000Z']);
    // Two starts at once for the one free GPU: exactly one gets it. Regression: the second start's
    // read-back found the first run's Job not created yet, ended that run as gone and took the GPU too.
    const both = await Promise.all([startRun('finetune-pinned', 'p2'), startRun('finetune-pinned', 'p3')]);
    assert.deepEqual(both.map((x) => x.status).sort(), [201, 409], JSON.stringify(both.map((x) => x.body)));
    const winner = both.find((x) => x.status === 201)!.body.id as string;
    assert.deepEqual((await runs()).runs.filter((x) => x.state === 'running').map((x) => x.id), [winner], 'the winner still holds the GPU');
    await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: `finetune-pinned-${winner}` }, { propagationPolicy: 'Background' });
    advance(5 * 60_000); // past the start grace: a missing object is now gone
    await until(`run ${winner} to end`, async () => (await runs()).runs.find((x) => x.id === winner && x.state !== 'running'));
    const again = await startRun('finetune', 'ft2');
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.deepEqual((await h.store.ai.trainingRuns(tenant, 'dev')).map((x) => x.id).sort(), ['ft1', 'ft2', 'p1', winner].sort(), 'no row for a refused start');
  });

  test('another tenant\'s token cannot hibernate, wake, train or read the first tenant\'s hibernation and runs (404), and writes nothing', async () => {
    const snapshot = async () => ({
      rows: await counts(h.store),
      hibernation: await h.store.ai.hibernation(tenant, 'dev'),
      periods: await h.store.ai.periods(tenant),
      runs: await h.store.ai.trainingRuns(tenant, 'dev'),
      env: await env(),
      jobs: (await kube.list('batch/v1', 'Job', { namespace: ns })).map((j) => j.metadata.name).sort(),
      deployments: [...(await deployments()).values()].map((d) => [d.metadata.name, d.spec.replicas, d.metadata.generation]),
    });
    const before1 = await snapshot();
    const refusals: Array<[string, string, unknown]> = [
      ['POST', `/v1/tenants/${tenant}/environments/dev:hibernate`, { reason: 'steal' }],
      ['POST', `/v1/tenants/${tenant}/environments/dev:wake`, { reason: 'steal' }],
      ['POST', `/v1/environments/${tenant}/dev/training-jobs`, { component: 'finetune', id: 'steal' }],
      ['GET', `/v1/environments/${tenant}/dev/training-jobs`, undefined],
      ['GET', `/v1/environments/${tenant}/dev/hibernation`, undefined],
      ['PUT', `/v1/environments/${tenant}/dev/hibernation/schedule`, { off: [{ start: '00:00', end: '24:00' }] }],
      ['DELETE', `/v1/environments/${tenant}/dev/hibernation/schedule`, undefined],
      ['GET', `/v1/tenants/${tenant}/hibernation/savings`, undefined],
    ];
    for (const [i, [method, url, body]] of refusals.entries()) {
      const r = await h.req(method, url, { token: otherToken, ...(body === undefined ? {} : { body }), headers: { 'idempotency-key': `steal-${i}` } });
      assert.equal(r.status, 404, `${method} ${url}: ${JSON.stringify(r.body)}`);
      assert.doesNotMatch(JSON.stringify(r.body), /hibernated|awake|finetune-|gpuHours|replicas/, `${method} ${url} says nothing about the environment`);
    }
    // The scheduler has nothing to do for either tenant now (A is awake in its on window, B's environment is not delivered).
    assert.deepEqual((await engine.hibernationOnce()).queued, []);
    assert.deepEqual(await snapshot(), before1, 'nothing written: rows, hibernation, runs, the environment, the cluster');
    // The same token works on its own tenant.
    const own = await h.req('GET', `/v1/environments/${other}/dev/hibernation`, { token: otherToken });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual([own.body.tenant, own.body.state, own.body.saved], [other, 'awake', { replicaHours: 0, gpuHours: 0, hibernatedHours: 0 }]);
    const ownRun = await h.req('POST', `/v1/environments/${other}/dev/training-jobs`, { token: otherToken, body: { component: 'finetune', id: 'x1' } });
    assert.equal(ownRun.status, 409, 'its own environment was never delivered (self-managed)');
  });
  test('hibernated, an upgrade updates the revision held at zero without waking it; :wake brings the new revision up', async () => {
    const doc = blueprint();
    doc.metadata.version = '1.0.1';
    const pub = await h.req('POST', '/v1/blueprints', { body: { name: doc.metadata.name, version: '1.0.1', spec: doc } });
    assert.equal(pub.status, 201, JSON.stringify(pub.body));
    const hib = await act('hibernate');
    assert.equal(hib.status, 202, JSON.stringify(hib.body));
    assert.equal((await settled(hib.body.id)).state, 'succeeded');
    await assertHibernated();
    const up = await h.req('POST', `/v1/tenants/${tenant}/environments/dev:upgrade`, { body: { version: '1.0.1' } });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const op = await settled(up.body.id);
    assert.equal(op.state, 'succeeded', op.error ?? '');
    const newRevision = String(op.steps.find((s) => s.name === 'render')!.output?.revision);
    assert.notEqual(newRevision, revision, 'a new revision');
    assert.equal(op.steps.find((s) => s.name === 'deliver')!.output?.hibernated !== undefined, true, 'delivered held at zero');
    revision = newRevision;
    await assertHibernated(); // every Deployment at 0 with the new revision's label, the CronJob suspended
    assert.equal((await hibernation()).body.state, 'hibernated', 'still hibernated');
    const e = await env();
    assert.equal(e.version, '1.0.1');
    const w = await act('wake');
    assert.equal(w.status, 202, JSON.stringify(w.body));
    assert.equal((await settled(w.body.id)).state, 'succeeded');
    await until('the serving Deployments available again', async () => [...(await deployments()).values()].every((d) => (d.status?.availableReplicas ?? 0) >= 1));
    await assertAwake();
  });
});
