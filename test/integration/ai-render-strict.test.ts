// Every object the AI kinds render (each capability set, plus DRA GPUs and a training run of each form)
// is accepted by the testbed's real API server with strict field validation against the real CRDs
// (KServe v0.17.0, Knative Serving v0.51.0, KEDA v2.21.0, Kubeflow Trainer v2.3.0, testbed/lib/crds.ts)
// and Pod Security restricted: a server-side dry-run create into a namespace Fleetplane rendered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlueprint } from '../../src/domain/blueprint.ts';
import type { ClusterCapability } from '../../src/domain/capabilities.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { renderEnvironment, renderTrainingRun, type RenderInput } from '../../src/render/index.ts';
import { binaryPath } from '../../testbed/index.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';

const run = promisify(execFile);
const doc = parseBlueprint(readFileSync(join(import.meta.dirname, '../../blueprints/ai-platform/1.0.0.yaml'), 'utf8'));
const draDoc = JSON.parse(JSON.stringify({ apiVersion: doc.apiVersion, kind: doc.kind, metadata: doc.metadata, spec: doc.spec }));
draDoc.spec.components.find((c: { name: string }) => c.name === 'llm').gpu = { count: 1, deviceClass: 'gpu.nvidia.com' };
const dra = parseBlueprint(draDoc);

async function dryRun(cluster: TestCluster, obj: KubeObject): Promise<string | null> {
  const child = run(binaryPath('kubectl'), ['--kubeconfig', cluster.kubeconfig, 'create', '--dry-run=server', '--validate=strict', '-o', 'name', '-f', '-']);
  child.child.stdin?.end(JSON.stringify(obj));
  try {
    await child;
    return null;
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
}

async function kubectl(cluster: TestCluster, args: string[], stdin?: string): Promise<void> {
  const child = run(binaryPath('kubectl'), ['--kubeconfig', cluster.kubeconfig, ...args]);
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  await child;
}

test('the AI kinds render objects the real CRDs and Pod Security restricted accept (strict server-side dry-run)', async () => {
  const { clusters } = await getTestbed();
  const cluster = clusters[0]!;
  const slug = `ai${Date.now().toString(36).slice(-5)}`;
  const input = (capabilities: ClusterCapability[], blueprint = doc): RenderInput => ({ tenant: { slug, name: 'AI', tier: 'shared' }, environment: { name: 'dev', type: 'dev' }, blueprint, placement: { cluster: cluster.name }, capabilities });
  const sets: ClusterCapability[][] = [[], ['kserve', 'knative-serving', 'keda', 'kubeflow-trainer'], ['knative-serving'], ['keda'], ['kserve']];
  const ns = renderEnvironment(input([])).objects.find((o) => o.object.kind === 'Namespace')!.object;
  // The namespace for real (PSA restricted labels), so namespaced dry-runs are judged by its policy.
  await kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(ns));
  try {
    const seen = new Set<string>();
    const failures: string[] = [];
    const objects: KubeObject[] = [];
    for (const caps of sets) {
      objects.push(...renderEnvironment(input(caps)).objects.map((o) => o.object));
      objects.push(renderTrainingRun(input(caps), 'finetune', { id: 'dry' }).object);
    }
    objects.push(...renderEnvironment(input([], dra)).objects.map((o) => o.object));
    for (const o of objects) {
      if (o.kind === 'Namespace') continue;
      const key = JSON.stringify(o);
      if (seen.has(key)) continue;
      seen.add(key);
      const err = await dryRun(cluster, o);
      if (err) failures.push(`${o.kind}/${o.metadata.name}: ${err}`);
    }
    assert.deepEqual(failures, [], 'every object accepted');
    assert.ok(seen.size > 60, `${seen.size} distinct objects checked`);
    // Strict validation is on: one unknown field in the InferenceService's predictor is refused.
    const isvc = objects.find((o) => o.kind === 'InferenceService')! as KubeObject & { spec: { predictor: Record<string, unknown> } };
    const bad = await dryRun(cluster, { ...isvc, spec: { predictor: { ...isvc.spec.predictor, minReplica: 0 } } });
    assert.match(bad ?? '', /unknown field "spec\.predictor\.minReplica"/);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ['InferenceService', 'ScaledObject', 'Service', 'TrainingRuntime', 'TrainJob', 'Job', 'PersistentVolumeClaim', 'ResourceClaimTemplate']) assert.ok(kinds.has(k), k);
  } finally {
    await kubectl(cluster, ['delete', 'namespace', ns.metadata.name, '--wait=false', '--ignore-not-found']);
  }
});
