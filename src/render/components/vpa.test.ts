import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuQuantity, hpaResourcesFor, hpaVpaConflicts, memoryQuantity, renderVpa, renderVpaStatus, type HpaLike } from './vpa.ts';
import { recommendResources } from '../../forecast/vpa.ts';

const hpa = (name: string, target: string, metrics?: unknown[]): HpaLike => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, ...(metrics ? { metrics: metrics as [] } : {}) },
});
const web = { kind: 'Deployment', name: 'web' } as const;

test('renders an autoscaling.k8s.io/v1 VPA aimed at the workload, in its namespace, with sorted resources', () => {
  const o = renderVpa({ tenant: 'acme', environment: 'prod', namespace: 'acme-prod', workload: web, mode: 'Off', controlledResources: ['memory', 'cpu'] });
  assert.equal(o.apiVersion, 'autoscaling.k8s.io/v1');
  assert.equal(o.metadata.namespace, 'acme-prod');
  assert.equal(o.metadata.labels?.['fleetplane.io/tenant'], 'acme');
  assert.deepEqual(o.spec, {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, updatePolicy: { updateMode: 'Off' },
    resourcePolicy: { containerPolicies: [{ containerName: '*', controlledResources: ['cpu', 'memory'], controlledValues: 'RequestsOnly' }] },
  });
});

test('quantities round up and never write an infinite bound', () => {
  assert.equal(cpuQuantity(0.5751), '576m');
  assert.equal(cpuQuantity(0.0001), '1m');
  assert.equal(memoryQuantity(1048576.2), '1048577');
  const vpa = renderVpa({ tenant: 'a', environment: 'p', namespace: 'a-p', workload: web, mode: 'Initial', controlledResources: ['memory'] });
  const none = recommendResources([]);
  const s = renderVpaStatus(vpa, [{ container: 'app', recommendation: none }], ['memory']) as unknown as { status: { recommendation: { containerRecommendations: Array<Record<string, Record<string, string>>> } } };
  const c = s.status.recommendation.containerRecommendations[0]!;
  assert.equal(c.upperBound!.memory, undefined);
  assert.equal(c.target!.cpu, undefined, 'only controlled resources');
  assert.equal(c.target!.memory, String(250 * 1024 * 1024));
});

test('an HPA on cpu (or with no metrics, which defaults to cpu) conflicts with a VPA on cpu, not on memory', () => {
  assert.deepEqual(hpaResourcesFor(hpa('h', 'web'), web), ['cpu']);
  assert.deepEqual(hpaResourcesFor(hpa('h', 'other'), web), []);
  const both = hpa('h', 'web', [{ type: 'Resource', resource: { name: 'memory' } }, { type: 'ContainerResource', containerResource: { name: 'cpu' } }, { type: 'Pods' }]);
  assert.deepEqual(hpaResourcesFor(both, web), ['cpu', 'memory']);
  const onCpu = hpa('web', 'web', [{ type: 'Resource', resource: { name: 'cpu' } }]);
  assert.deepEqual(hpaVpaConflicts([onCpu], web, ['memory']), []);
  const issues = hpaVpaConflicts([onCpu, hpa('x', 'other')], web, ['cpu', 'memory']);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.field, '/controlledResources');
  assert.match(issues[0]!.message, /HorizontalPodAutoscaler web already scales Deployment web on cpu; a VPA may control only memory/);
  assert.match(hpaVpaConflicts([both], web, ['cpu'])[0]!.message, /neither cpu nor memory/);
  assert.deepEqual(hpaVpaConflicts([hpa('h', 'web', [{ type: 'External' }])], web, ['cpu', 'memory']), []);
});
