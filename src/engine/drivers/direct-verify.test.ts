// Verify's judgement of one delivered object, pure (the e2e against KServe on the testbed is
// test/integration/engine-ai.test.ts): a RawDeployment InferenceService counts once KServe says
// Ready and its predictor Deployment is at this revision and rolled out; stopped, once KServe says Stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../domain/types.ts';
import { judge, predictorDeployment } from './direct-verify.ts';

const REV = 'r2';
const isvc = (annotations: Record<string, string>, conditions: Array<{ type: string; status: string }> = [], rev = REV): KubeObject => ({
  apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService',
  metadata: { name: 'ranker', namespace: 'acme-dev', generation: 2, labels: { 'fleetplane.io/revision': rev }, annotations },
  status: { observedGeneration: 1, conditions },
} as KubeObject);
const deployment = (rev: string, available: number, generation = 1): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ranker-predictor', namespace: 'acme-dev', generation, labels: { 'fleetplane.io/revision': rev } },
  spec: { replicas: 1 }, status: { observedGeneration: generation, replicas: 1, updatedReplicas: 1, availableReplicas: available },
} as KubeObject);
const RAW = { 'serving.kserve.io/deploymentMode': 'RawDeployment' };
const READY = [{ type: 'Ready', status: 'True' }, { type: 'Stopped', status: 'False' }];

test('predictorDeployment: <name>-predictor for a running RawDeployment/Standard InferenceService only', () => {
  assert.deepEqual(predictorDeployment(isvc(RAW)), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ranker-predictor', namespace: 'acme-dev' } });
  assert.equal(predictorDeployment(isvc({ 'serving.kserve.io/deploymentMode': 'Standard' }))?.metadata.name, 'ranker-predictor');
  assert.equal(predictorDeployment(isvc({ 'serving.kserve.io/deploymentMode': 'Serverless' })), null, 'Knative serves it');
  assert.equal(predictorDeployment(isvc({ ...RAW, 'serving.kserve.io/stop': 'true' })), null, 'stopped: KServe deleted it');
  assert.equal(predictorDeployment(deployment(REV, 1)), null);
});

test('judge: KServe\'s Ready and the predictor Deployment at this revision, available; Stopped while stopped', () => {
  const want = isvc(RAW);
  assert.deepEqual(judge(want, isvc(RAW, READY), deployment(REV, 1), REV), { message: null, failed: false });
  assert.equal(judge(want, isvc(RAW, READY), null, REV).message, 'waiting for KServe to create its predictor Deployment ranker-predictor');
  assert.equal(judge(want, isvc(RAW, READY), deployment('r1', 1), REV).message, 'its predictor Deployment is not yet at this revision', 'a Ready from the previous revision does not count');
  assert.equal(judge(want, isvc(RAW, READY), deployment(REV, 0), REV).message, 'its predictor Deployment: 0 of 1 updated replicas available');
  assert.equal(judge(want, isvc(RAW, [{ type: 'Ready', status: 'False' }]), deployment(REV, 1), REV).message, 'Ready False');
  assert.equal(judge(want, isvc(RAW, READY, 'r1'), deployment(REV, 1), REV).message, 'not yet at this revision');
  const stopped = isvc({ ...RAW, 'serving.kserve.io/stop': 'true' }, [{ type: 'Stopped', status: 'True' }]);
  assert.deepEqual(judge(stopped, stopped, undefined, REV), { message: null, failed: false });
});
