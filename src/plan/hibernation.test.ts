import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBlueprint } from '../domain/blueprint.ts';
import type { KubeObject } from '../domain/types.ts';
import { renderEnvironment } from '../render/index.ts';
import { footprint, hibernatedObject, hibernatedRevision, KEDA_PAUSED_REPLICAS, KSERVE_STOP } from './hibernation.ts';

const bp = parseBlueprint(readFileSync(join(import.meta.dirname, '../../blueprints/ai-platform/1.0.0.yaml'), 'utf8'));
const r = renderEnvironment({ tenant: { slug: 'acme', name: 'Acme', tier: 'shared' }, environment: { name: 'dev', type: 'dev' }, blueprint: bp, placement: { cluster: 'fp-1' }, capabilities: ['kserve', 'keda'] });
const objects = r.objects.map((o) => o.object);
type Obj = KubeObject & { spec: Record<string, unknown> };

test('hibernated form: workloads at zero, KEDA paused at zero, InferenceService stopped, the rest untouched', () => {
  const h = hibernatedRevision({ id: r.revision, tenant: 'acme', environment: 'dev', blueprint: 'ai-platform', version: '1.0.0', objects: r.objects, helmValues: [] });
  assert.equal(h.id, r.revision, 'the same revision, held at zero');
  const by = (kind: string, name: string) => h.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)!.object as Obj;
  for (const d of ['chat', 'llm', 'embed']) assert.equal(by('Deployment', d).spec.replicas, 0, d);
  assert.equal(by('ScaledObject', 'chat').metadata.annotations![KEDA_PAUSED_REPLICAS], '0');
  assert.equal(by('InferenceService', 'ranker').metadata.annotations![KSERVE_STOP], 'true');
  assert.deepEqual(by('PersistentVolumeClaim', 'llm-model'), objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'llm-model'), 'model storage is kept');
  assert.equal((hibernatedObject({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '@daily' } }) as Obj).spec.suspend, true);
  // The rendered objects themselves are not changed.
  assert.equal((objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'llm') as Obj).spec.replicas, 1);
});

test('footprint: live replicas where known, else the revision\'s or the autoscaler floor; GPUs per replica', () => {
  const f = footprint(objects, new Map([['Deployment/llm', 3]]));
  const w = Object.fromEntries(f.workloads.map((x) => [x.name, x]));
  assert.deepEqual([w.llm!.replicas, w.llm!.gpusPerReplica], [3, 1]);
  assert.deepEqual([w.chat!.replicas, w.chat!.gpusPerReplica], [0, 0], 'KEDA floor 0');
  assert.deepEqual([w.ranker!.kind, w.ranker!.replicas, w.ranker!.gpusPerReplica], ['InferenceService', 1, 1]);
  assert.equal(f.gpus, 3 + 1 + 1);
  assert.equal(f.replicas, 3 + 0 + 1 + 1);
});
