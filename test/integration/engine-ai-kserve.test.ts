// The InferenceService variant of the AI workloads (issue #20), served by KServe itself: KServe's own
// controller manager (kserve v0.17.0 built from its Go module, run by the testbed against the GPU
// cluster: kserveUp) defaults and validates the InferenceService through its webhooks, creates the
// predictor Deployment whose pods kwok runs on GPU nodes (the model claim mounted by KServe's pod
// webhook), writes Ready, and stops and starts it for :hibernate and :wake; an upgrade while
// hibernated stays stopped. The cluster is registered as having KServe (its declared capabilities).
// Real engine, API and store (engine-ai.fixture.ts); nothing in this file writes an object's status.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { kserveUp, SERVING_RUNTIME } from '../../testbed/index.ts';
import { assertSucceeded, blueprint, startAiBed, stepOutput, until, type AiBed, type Obj } from './engine-ai.fixture.ts';

describe('AI workloads on the testbed: the InferenceService served by KServe', { timeout: 30 * 60_000 }, () => {
  let bed: AiBed;
  const tenant = `ak-${randomBytes(3).toString('hex')}`;
  before(async () => { bed = await startAiBed(); });
  after(async () => { await bed?.stop(); });

  test('the inference-service variant: KServe (RawDeployment, on the testbed) serves the InferenceService on GPU nodes, writes Ready, and stops/starts it for :hibernate/:wake', async () => {
    // KServe's own controller manager (built from kserve v0.17.0, testbed/lib/kserve.ts) runs against
    // this cluster: it creates the predictor's Deployment, its pod webhook mounts the model claim, and
    // it writes the InferenceService's conditions. Nothing here writes status in its place.
    const { h, engine, cluster, kube } = bed;
    const settled = (id: string) => bed.settled(id);
    const ks = await kserveUp({ log: (l) => console.error(l) });
    assert.equal(ks.cluster, cluster.name, `KServe runs on ${ks.cluster} only (FLEETPLANE_TEST_AI_CLUSTER=${ks.cluster})`);
    assert.ok(ks.running, JSON.stringify(ks));
    // The same API server registered again, declaring KServe: the renderer's choice follows the registration.
    const kserve = `${cluster.name}-kserve`;
    const reg = await h.req('POST', '/v1/clusters', {
      body: { name: kserve, provider: 'local', region: 'local', role: 'shared', apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8'), capabilities: ['kserve'] },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    assert.deepEqual((await h.req('GET', `/v1/clusters/${kserve}`)).body.capabilities, ['kserve']);
    const t2 = `${tenant}-k`;
    const ns2 = `${t2}-dev`;
    const ref = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', namespace: ns2, name: 'ranker' };
    const predictorPods = async (): Promise<Obj[]> =>
      (await kube.list<Obj>('v1', 'Pod', { namespace: ns2, labelSelector: { 'serving.kserve.io/inferenceservice': 'ranker' } })).filter((p) => !p.metadata.deletionTimestamp);
    const condition = (o: Obj | null, type: string) => (o?.status?.conditions as Array<{ type: string; status: string; reason?: string }> | undefined)?.find((c) => c.type === type);
    const act2 = async (verb: 'hibernate' | 'wake') => {
      const r = await h.req('POST', `/v1/tenants/${t2}/environments/dev:${verb}`, { body: { reason: 'e2e' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const op = await settled(r.body.id);
      assertSucceeded(op, verb);
      return op;
    };
    /** The predictor as KServe serves it: its Deployment, one pod Running on a GPU node with the GPU limit and the model claim mounted read-only. */
    async function assertServing(isvc: Obj): Promise<void> {
      const isvcUid = String(isvc.metadata.uid);
      const d = await until('KServe\'s predictor Deployment available', async () => {
        const x = await kube.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker-predictor' });
        return Number(x?.status?.availableReplicas) >= 1 ? x : null;
      });
      const owner = (d.metadata as { ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> }).ownerReferences?.find((o) => o.controller);
      assert.ok(owner, 'a controller owner');
      assert.deepEqual([owner.kind, owner.name, owner.uid], ['InferenceService', 'ranker', isvcUid], 'created by KServe for the InferenceService');
      const [pod, ...more] = await until('a predictor pod Running', async () => {
        const ps = await predictorPods();
        return ps.length >= 1 && ps.every((p) => p.status?.phase === 'Running') ? ps : null;
      });
      assert.equal(more.length, 0, 'one replica (minReplicas 1, autoscalerClass none)');
      const node = await kube.get<Obj>({ apiVersion: 'v1', kind: 'Node', name: pod!.spec.nodeName });
      assert.equal(node?.metadata.labels?.['nvidia.com/gpu.present'], 'true', `scheduled onto a GPU node (${pod!.spec.nodeName})`);
      const c = (pod!.spec.containers as Array<{ name: string; image: string; resources: { limits: Record<string, string> }; volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }> }>).find((x) => x.name === 'kserve-container')!;
      assert.equal(c.resources.limits['nvidia.com/gpu'], '1');
      // Regression: KServe appended "-gpu" to a GPU model's tag under the kserve-torchserve runtime until the renderer set runtimeVersion.
      assert.equal(c.image, isvc.spec.predictor.model.image, 'the blueprint\'s image, its tag kept, over the serving runtime\'s');
      // KServe's pod webhook (the storage initializer injector) turns storageUri pvc://ranker-model/ranker-v2
      // into a read-only mount of the environment's claim at /mnt/models (the Deployment's template has none).
      const mount = c.volumeMounts?.find((m) => m.mountPath === '/mnt/models');
      assert.deepEqual([mount?.subPath, mount?.readOnly], ['ranker-v2', true], JSON.stringify(c.volumeMounts));
      const vol = (pod!.spec.volumes as Array<{ name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }>).find((v) => v.name === mount!.name);
      assert.equal(vol?.persistentVolumeClaim?.claimName, 'ranker-model');
      const template = d.spec.template.spec as { volumes?: Array<{ persistentVolumeClaim?: unknown }> };
      assert.ok(!(template.volumes ?? []).some((v) => v.persistentVolumeClaim), 'the claim is mounted by KServe\'s webhook, not in the Deployment KServe made');
    }
    /**
     * Read at once when the operation has succeeded (no waiting): verify passes only when KServe says
     * Ready and its predictor Deployment is at this revision and available, so both hold already.
     */
    async function assertVerified(rev: string): Promise<void> {
      const now = (await kube.get<Obj>(ref))!;
      assert.equal(condition(now, 'Ready')?.status, 'True', `KServe's Ready: ${JSON.stringify(now.status?.conditions)}`);
      const d = await kube.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker-predictor' });
      assert.ok(d, 'KServe\'s predictor Deployment exists');
      assert.equal(d.metadata.labels?.['fleetplane.io/revision'], rev, 'the predictor Deployment at this revision');
      const st = d.status as { availableReplicas?: number; observedGeneration?: number };
      assert.ok(Number(st.availableReplicas) >= 1, JSON.stringify(st));
      assert.equal(st.observedGeneration, d.metadata.generation, 'rolled out');
    }
    /** :hibernate: KServe stops it (Stopped, its predictor gone), every Deployment at zero. */
    async function hibernateStopped(): Promise<Obj> {
      // :hibernate stops the InferenceService (serving.kserve.io/stop): KServe deletes its predictor, says Stopped.
      const hib = await act2('hibernate');
      assert.deepEqual([stepOutput(hib, 'hibernate').replicas, stepOutput(hib, 'hibernate').gpus], [4, 3], 'chat, embed, llm and the InferenceService\'s one replica; 3 GPUs');
      const stopped = (await kube.get<Obj>(ref))!;
      assert.equal(stopped.metadata.annotations?.['serving.kserve.io/stop'], 'true');
      assert.equal(condition(stopped, 'Stopped')?.status, 'True', 'verify waited for KServe to say Stopped');
      assert.notEqual(condition(stopped, 'Ready')?.status, 'True');
      await until('KServe to delete the predictor Deployment and its pods', async () =>
        (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker-predictor' })) === null && (await predictorPods()).length === 0);
      for (const d of await kube.list<Obj>('apps/v1', 'Deployment', { namespace: ns2 })) assert.equal(d.spec.replicas, 0, `${d.metadata.name} at zero`);
      const e1 = (await h.store.environments.get(t2, 'dev'))!;
      assert.deepEqual([e1.health, e1.conditions.find((c) => c.type === 'Hibernated')?.status], ['Ready', 'True']);
      const drift = await engine.reconcileOnce();
      assert.deepEqual(drift.drifted.filter((d) => d.tenant === t2), [], 'hibernated, compared with the stopped form: nothing drifted');
      return stopped;
    }
    /** An :upgrade while hibernated: a new generation, still stopped, at the new revision. */
    async function upgradeHeld(stopped: Obj, rev1: string): Promise<string> {
      // Hibernated, an upgrade changes the InferenceService's spec (its predictor's version labels): a new
      // generation, still stopped, at the new revision.
      const doc = blueprint();
      doc.metadata.version = '1.0.1';
      const pub = await h.req('POST', '/v1/blueprints', { body: { name: doc.metadata.name, version: '1.0.1', spec: doc } });
      assert.ok([200, 201].includes(pub.status), `${pub.status} ${JSON.stringify(pub.body).slice(0, 300)}`); // 200 when the same version and content was published before
      const up = await h.req('POST', `/v1/tenants/${t2}/environments/dev:upgrade`, { body: { version: '1.0.1' } });
      assert.equal(up.status, 202, JSON.stringify(up.body));
      const upOp = await settled(up.body.id);
      assertSucceeded(upOp);
      const rev2 = String(stepOutput(upOp, 'render').revision);
      assert.notEqual(rev2, rev1);
      const held = (await kube.get<Obj>(ref))!;
      assert.ok(Number(held.metadata.generation) > Number(stopped.metadata.generation), 'the upgrade changed the InferenceService\'s spec');
      assert.deepEqual([held.metadata.labels?.['fleetplane.io/revision'], held.metadata.annotations?.['serving.kserve.io/stop'], condition(held, 'Stopped')?.status], [rev2, 'true', 'True'], 'still stopped, at the new revision');
      assert.equal(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker-predictor' }), null, 'nothing woke');
      return rev2;
    }
    /** :wake: KServe starts it again, Ready at the new revision. */
    async function wakeStarted(rev2: string): Promise<void> {
      // :wake removes the annotation: KServe makes the predictor again, Ready at the new revision. Regression:
      // verify compared KServe's observedGeneration (its new predictor Deployment's, 1) with the
      // InferenceService's generation (now higher) and would have waited forever.
      await act2('wake');
      await assertVerified(rev2);
      const woken = (await kube.get<Obj>(ref))!;
      assert.equal(woken.metadata.annotations?.['serving.kserve.io/stop'], undefined);
      assert.deepEqual([condition(woken, 'Stopped')?.status, condition(woken, 'Ready')?.status], ['False', 'True'], 'verify waited for KServe\'s Ready again');
      assert.equal(woken.metadata.labels?.['fleetplane.io/revision'], rev2);
      assert.ok(Number(woken.status?.observedGeneration) < Number(woken.metadata.generation), `KServe reports its Deployment's generation (${woken.status?.observedGeneration}), not the InferenceService's (${woken.metadata.generation})`);
      const predictor = (await kube.get<Obj>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker-predictor' }))!;
      assert.equal(predictor.metadata.labels?.['fleetplane.io/revision'], rev2, 'verify waited for the predictor Deployment at the new revision');
      await assertServing(woken);
      const e2 = (await h.store.environments.get(t2, 'dev'))!;
      assert.deepEqual([e2.health, e2.conditions.find((c) => c.type === 'Hibernated')?.status], ['Ready', 'False']);
    }
    try {
      const r = await h.req('POST', '/v1/tenants', { body: { slug: t2, name: t2, tier: 'shared', environments: [{ name: 'dev', type: 'dev', blueprint: 'ai-platform', version: '1.0.0', cluster: kserve }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const opId = r.body.operations[0].id as string;
      const isvc = await until('the InferenceService to be created', () => kube.get<Obj>(ref));
      assert.equal(isvc.metadata.annotations?.['serving.kserve.io/deploymentMode'], 'Standard', 'RawDeployment by KServe 0.17\'s name (its webhook rewrites the old name)');
      const p = isvc.spec.predictor;
      assert.equal(p.model.storageUri, 'pvc://ranker-model/ranker-v2', 'the model from the environment\'s own claim');
      assert.equal(p.model.resources.limits['nvidia.com/gpu'], '1');
      assert.deepEqual(p.nodeSelector, { 'nvidia.com/gpu.present': 'true' }, 'for GPU nodes');
      assert.ok(p.tolerations.some((t: { key: string }) => t.key === 'nvidia.com/gpu'), JSON.stringify(p.tolerations));
      assert.equal(isvc.metadata.labels?.['fleetplane.io/tenant'], t2);
      assert.equal(await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns2, name: 'ranker' }), null, 'KServe makes the predictor\'s Deployment, not Fleetplane');
      const pvc = await until('ranker-model Bound', async () => {
        const c = await kube.get<Obj>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns2, name: 'ranker-model' });
        return c?.status?.phase === 'Bound' ? c : null;
      });
      assert.equal(pvc.spec.storageClassName, 'standard');

      const op = await settled(opId);
      assertSucceeded(op);
      await assertVerified(String(stepOutput(op, 'render').revision));
      const rendered = stepOutput(op, 'render');
      const ranker = (rendered.choices as Array<{ component: string; form: string }>).find((c) => c.component === 'ranker');
      assert.equal(ranker?.form, 'InferenceService');
      assert.equal((await h.store.environments.get(t2, 'dev'))!.health, 'Ready');
      // KServe (its webhooks and controller) did the rest: defaulted and chose the runtime, made the predictor, said Ready.
      const served = (await kube.get<Obj>(ref))!;
      assert.equal(served.status?.clusterServingRuntimeName, SERVING_RUNTIME, JSON.stringify(served.status));
      assert.equal(served.status?.deploymentMode, 'Standard', 'RawDeployment, by 0.17\'s name');
      assert.deepEqual(['PredictorReady', 'IngressReady', 'Ready'].map((t) => condition(served, t)?.status), ['True', 'True', 'True']);
      const statusWriters = ((served.metadata as { managedFields?: Array<{ manager?: string; subresource?: string }> }).managedFields ?? []).filter((m) => m.subresource === 'status').map((m) => m.manager);
      assert.ok(statusWriters.length > 0 && statusWriters.every((m) => m === 'kserve-manager'), `status written by KServe only: ${JSON.stringify(statusWriters)}`);
      await assertServing(served);
      // What KServe's defaulter and controller added (mode, container name, runtime, finalizer, status) is not drift.
      const drift = await engine.reconcileOnce();
      assert.deepEqual(drift.drifted.filter((d) => d.tenant === t2), [], JSON.stringify(drift.drifted.filter((d) => d.tenant === t2)));
      assert.deepEqual(drift.errors.filter((e) => e.tenant === t2), []);

      await wakeStarted(await upgradeHeld(await hibernateStopped(), String(rendered.revision)));
    } finally {
      // KServe's finalizer on the InferenceService is removed by KServe itself, which still runs here.
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns2 }).catch(() => false);
    }
  });
});
