import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, KubeObject, OperationStep } from '../domain/types.ts';
import { kindRank } from '../domain/kinds.ts';
import { applyPhases, refKey, sortForPrune } from './apply-order.ts';
import { diffInventory } from './diff.ts';
import { mergeSteps, nextStep, recheckDelayMs } from './workflows.ts';
import { checkExplicitPlacement, placeEnvironment } from './placement.ts';

const obj = (kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, metadata: namespace ? { name, namespace } : { name },
});

test('apply order puts namespaces first and workloads after config; prune reverses it', () => {
  const objs = [obj('Deployment', 'web', 'ns'), obj('ConfigMap', 'cfg', 'ns'), obj('Namespace', 'ns'), obj('Widget', 'w', 'ns')];
  const refs = objs.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name }));
  assert.deepEqual(applyPhases(refs).map((p) => p.map((r) => r.kind)), [['Namespace'], ['ConfigMap'], ['Deployment'], ['Widget']]);
  assert.deepEqual(sortForPrune(refs).map((r) => r.kind), ['Widget', 'Deployment', 'ConfigMap', 'Namespace']);
  assert.ok(kindRank('CustomResourceDefinition') < kindRank('Role'));
});

test('diff applies every desired object and prunes only what left the revision', () => {
  const desired = [obj('Deployment', 'web', 'ns'), obj('Namespace', 'ns')];
  const inventory = [
    { apiVersion: 'v1', kind: 'Namespace', name: 'ns' },
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'old' },
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'gone' },
    { apiVersion: 'apps/v1beta1', kind: 'Deployment', namespace: 'ns', name: 'web' },
  ];
  const d = diffInventory(desired, inventory);
  assert.deepEqual(d.apply.map((o) => o.kind), ['Namespace', 'Deployment']);
  assert.deepEqual(d.prune.map((r) => r.name), ['old', 'gone']);
  assert.equal(refKey({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'a' }), refKey({ apiVersion: 'apps/v1beta1', kind: 'Deployment', name: 'a' }));
});

test('nextStep resumes at the first step not succeeded', () => {
  const s = (name: string, state: OperationStep['state'], attempts = 1): OperationStep => ({ name, state, attempts });
  assert.deepEqual(nextStep('upgrade', []), { done: false, step: 'render', index: 0, attempts: 0 });
  assert.deepEqual(nextStep('upgrade', [s('render', 'succeeded'), s('deliver', 'failed', 2)]), { done: false, step: 'deliver', index: 1, attempts: 2, record: s('deliver', 'failed', 2) });
  // A parked verify is resumed with its record (the engine keeps its attempt and waiting time).
  const parked: OperationStep = { ...s('verify', 'waiting'), waitingSince: '2026-01-01T00:00:00.000Z', waits: 3 };
  assert.deepEqual(nextStep('upgrade', [s('render', 'succeeded'), s('deliver', 'succeeded'), parked]), { done: false, step: 'verify', index: 2, attempts: 1, record: parked });
  assert.deepEqual(nextStep('offboard', [s('check-hold', 'succeeded'), s('remove', 'succeeded'), s('record', 'succeeded')]), { done: true });
  assert.deepEqual(mergeSteps('offboard', [s('remove', 'running')]).map((x) => `${x.name}:${x.state}`), ['check-hold:pending', 'remove:running', 'record:pending']);
});

test('a waiting step is re-checked soon at first, then backing off to a cap', () => {
  const delays = [1, 2, 3, 4, 5, 6, 20].map((w) => recheckDelayMs(w));
  assert.deepEqual(delays, [1000, 1500, 2250, 3375, 5000, 5000, 5000]);
  assert.equal(recheckDelayMs(0), 1000);
  assert.equal(recheckDelayMs(4, 200, 10_000), 675);
});

test('placement honours dedicated roles, capacity and balances by load', () => {
  const cl = (name: string, role = 'shared', cpu?: number, memGi = 0, gpus = 0): Cluster => ({
    name, role, provider: 'local', region: 'r1', labels: {}, apiServer: 'https://x', createdAt: '', updatedAt: '',
    ...(cpu ? { capacity: { cpuMillis: cpu, memoryBytes: memGi * 2 ** 30, gpus, nodes: 1 } } : {}),
  });
  const res = (cpuMillis = 0, memGi = 0, gpus = 0) => ({ cpuMillis, memoryBytes: memGi * 2 ** 30, gpus });
  const loads = [
    { cluster: cl('a'), environments: 5, reserved: res() },
    { cluster: cl('b'), environments: 2, reserved: res(900) },
    { cluster: cl('c', 'dedicated:acme'), environments: 9, reserved: res() },
  ];
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared' }, loads), { cluster: 'b' });
  assert.deepEqual(placeEnvironment({ tenant: 'acme', tier: 'dedicated' }, loads), { cluster: 'c' });
  assert.deepEqual(placeEnvironment({ tenant: 'y', tier: 'dedicated' }, loads), { cluster: 'b' });
  const full = [{ cluster: cl('b', 'shared', 4000, 16), environments: 2, reserved: res(3000, 8) }];
  const d = placeEnvironment({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 2000 } }, full);
  assert.deepEqual(d, { cluster: null, reasons: { b: 'not enough CPU capacity (5 of 4 cores reserved with this environment)' } });
  // Quotas are ceilings: with 2x overcommit the same cluster still takes it, up to 8 cores.
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 2000 }, overcommit: { cpu: 2 } }, full), { cluster: 'b' });
  assert.equal(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 6000 }, overcommit: { cpu: 2 } }, full).cluster, null);
  // Memory is checked on its own, with its own overcommit.
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 100, memoryBytes: 10 * 2 ** 30 }, overcommit: { cpu: 2 } }, full),
    { cluster: null, reasons: { b: 'not enough memory capacity (18 of 16 GiB reserved with this environment)' } });
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { memoryBytes: 10 * 2 ** 30 }, overcommit: { memory: 1.5 } }, full), { cluster: 'b' });
  // No observed capacity (the inventory has not read the cluster yet): no capacity check.
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 10 ** 9, gpus: 8 } }, [{ cluster: cl('new'), environments: 0, reserved: res() }]), { cluster: 'new' });
});

test('placement: GPUs are never overcommitted and go where GPU nodes are', () => {
  const cl = (name: string, gpus: number): Cluster => ({
    name, role: 'shared', provider: 'local', region: 'r1', labels: {}, apiServer: 'https://x', createdAt: '', updatedAt: '',
    capacity: { cpuMillis: 100_000, memoryBytes: 2 ** 40, gpus, nodes: 4 },
  });
  const none = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };
  const loads = [
    { cluster: cl('cpu-only', 0), environments: 0, reserved: none },
    { cluster: cl('gpu', 8), environments: 7, reserved: { ...none, gpus: 6 } },
  ];
  // The emptier cluster has no GPUs, so a model server goes to the busier one.
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { gpus: 2 }, overcommit: { cpu: 2, memory: 2 } }, loads), { cluster: 'gpu' });
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared', demand: { gpus: 3 }, overcommit: { cpu: 2, memory: 2 } }, loads), {
    cluster: null, reasons: { 'cpu-only': 'no GPU nodes (the environment reserves 3 GPUs)', gpu: 'not enough GPUs (9 of 8 reserved with this environment)' },
  });
  // Without GPUs the least-loaded cluster wins as before.
  assert.deepEqual(placeEnvironment({ tenant: 'x', tier: 'shared' }, loads), { cluster: 'cpu-only' });
});

test('explicit placement: isolation is enforced, capacity only reported', () => {
  const cl = (role: string): Cluster => ({
    name: 'k', role, provider: 'local', region: 'r1', labels: {}, apiServer: 'https://x', createdAt: '', updatedAt: '',
    capacity: { cpuMillis: 4000, memoryBytes: 2 ** 30, gpus: 0, nodes: 1 },
  });
  const load = (role: string) => ({ cluster: cl(role), environments: 1, reserved: { cpuMillis: 3000, memoryBytes: 0, gpus: 0 } });
  assert.deepEqual(checkExplicitPlacement({ tenant: 'x', tier: 'shared', demand: { cpuMillis: 2000 } }, load('dedicated:acme')).refusal, 'dedicated to another tenant');
  assert.deepEqual(checkExplicitPlacement({ tenant: 'acme', tier: 'dedicated', demand: { cpuMillis: 500 } }, load('dedicated:acme')), { refusal: null, warnings: [] });
  // An operator may put a dedicated-tier tenant on a shared cluster on purpose.
  assert.deepEqual(checkExplicitPlacement({ tenant: 'x', tier: 'dedicated', demand: { cpuMillis: 2000 } }, load('shared')), {
    refusal: null, warnings: ['not enough CPU capacity (5 of 4 cores reserved with this environment)'],
  });
});

test('conditions keep lastTransitionTime while status is unchanged', async () => {
  const { conditionsFor } = await import('./conditions.ts');
  const t1 = new Date('2026-01-01T00:00:00Z');
  const t2 = new Date('2026-01-01T00:01:00Z');
  const a = conditionsFor([], 'Progressing', { reason: 'Delivering', message: 'm' }, t1);
  const b = conditionsFor(a, 'Ready', { reason: 'Verified', message: 'ok' }, t2);
  const ready = b.find((c) => c.type === 'Ready')!;
  const degraded = b.find((c) => c.type === 'Degraded')!;
  assert.equal(ready.status, 'True');
  assert.equal(ready.lastTransitionTime, t2.toISOString());
  assert.equal(degraded.lastTransitionTime, t1.toISOString());
});

test('drift compares owned fields only and leaves HPA replicas alone', async () => {
  const { driftedFields, hpaTargets } = await import('./drift.ts');
  const dep = (replicas: number, image: string): KubeObject => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', labels: { a: '1' } },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image }] } } },
  });
  const live = { ...dep(5, 'img:2'), status: { replicas: 5 } };
  assert.deepEqual(driftedFields(dep(2, 'img:1'), live, { hpaTargets: new Set() }), ['spec.replicas', 'spec.template.spec.containers[web].image']);
  assert.deepEqual(driftedFields(dep(2, 'img:2'), live, { hpaTargets: new Set(['web']) }), []);
  const hpa: KubeObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { scaleTargetRef: { name: 'web' } } };
  assert.deepEqual([...hpaTargets([hpa])], ['web']);
});

test('desired spec overlays version, values and scale params on the environment', async () => {
  const { desiredSpec } = await import('./values.ts');
  const env = { version: '1.0.0', values: { logLevel: 'info', components: { web: { replicas: 2, imageTag: 'a' } } } };
  assert.deepEqual(desiredSpec(env, {}), env);
  assert.deepEqual(desiredSpec(env, { version: '1.1.0' }).version, '1.1.0');
  assert.deepEqual(desiredSpec(env, { values: { logLevel: null, components: { web: { imageTag: 'b' } } } }).values, { components: { web: { replicas: 2, imageTag: 'b' } } });
  assert.deepEqual(desiredSpec(env, { component: 'web', replicas: 5 }).values, { logLevel: 'info', components: { web: { replicas: 5, imageTag: 'a' } } });
});

test('drift: ConfigMap data in another key order is not drift; a changed value is', async () => {
  const { driftedFields } = await import('./drift.ts');
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-config', namespace: 'n' }, data });
  const opts = { hpaTargets: new Set<string>() };
  assert.deepEqual(driftedFields(cm({ LOG_LEVEL: 'info', CACHE_ADDR: 'redis:6379' }), cm({ CACHE_ADDR: 'redis:6379', LOG_LEVEL: 'info' }), opts), []);
  assert.deepEqual(driftedFields(cm({ LOG_LEVEL: 'info' }), cm({ LOG_LEVEL: 'debug' }), opts), ['data']);
});
