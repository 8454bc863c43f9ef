import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject, RenderedObject } from '../domain/types.ts';
import { DiffInterner, diffObjects, fieldDiff, previewRollout, previewSteps, requestsOf, type PreviewEnvironment } from './rollout-preview.ts';
import { DEFAULT_STRATEGY } from './rollout-waves.ts';

const deploy = (image: string, replicas: number, cpu = '250m', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'a-prod', labels: { 'fleetplane.io/revision': image } },
  spec: { replicas, template: { spec: { containers: [{ name: 'app', image, resources: { requests: { cpu, memory: '256Mi' }, limits: { 'nvidia.com/gpu': '1' } } }] } }, ...extra },
});
const cm = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'a-prod' }, data } as KubeObject);
const r = (object: KubeObject, hash: string): RenderedObject => ({ object, hash });

test('field diff names leaf paths, whole added subtrees, escapes keys, ignores the revision label', () => {
  assert.deepEqual(fieldDiff(deploy('app:1', 2), deploy('app:2', 2)), ['/spec/template/spec/containers/0/image']);
  assert.deepEqual(fieldDiff(deploy('app:1', 2), deploy('app:1', 3, '250m', { paused: true })), ['/spec/replicas', '/spec/paused']);
  assert.deepEqual(fieldDiff({ metadata: { annotations: { 'a/b': '1' } } }, { metadata: { annotations: { 'a/b': '2' } } }), ['/metadata/annotations/a~1b']);
  assert.deepEqual(fieldDiff({ a: [1, 2] }, { a: [1] }), ['/a/1']);
});

test('requests: containers × replicas; GPUs from limits', () => {
  assert.deepEqual(requestsOf(deploy('x', 3, '500m')), { cpuMillis: 1500, memoryBytes: 3 * 256 * 2 ** 20, gpus: 3 });
  assert.deepEqual(requestsOf(cm('c', {})), { cpuMillis: 0, memoryBytes: 0, gpus: 0 });
});

test('object diff: added, changed (only where hashes differ), removed, request delta', () => {
  const d = diffObjects([r(deploy('app:1', 2), 'h1'), r(cm('old', {}), 'h2'), r(cm('same', {}), 'h3')], [r(deploy('app:2', 3), 'h4'), r(cm('same', {}), 'h3'), r(cm('new', {}), 'h5')]);
  assert.deepEqual(d.added.map((o) => o.name), ['new']);
  assert.deepEqual(d.removed.map((o) => o.name), ['old']);
  assert.deepEqual(d.changed, [{ kind: 'Deployment', name: 'web', namespace: 'a-prod', fields: ['/spec/replicas', '/spec/template/spec/containers/0/image'] }]);
  assert.equal(d.unchanged, 1);
  assert.deepEqual(d.requests, { cpuMillis: 250, memoryBytes: 256 * 2 ** 20, gpus: 1 });
});

test('object diff: objects out of order are matched by key; one preview shares each field list and path text between environments', () => {
  const names = new DiffInterner();
  const a = diffObjects([r(cm('x', { k: '1' }), 'h1'), r(deploy('app:1', 2), 'h2')], [r(deploy('app:2', 2), 'h3'), r(cm('x', { k: '2' }), 'h4')], names);
  const b = diffObjects([r(deploy('app:1', 2), 'h2'), r(cm('x', { k: '1' }), 'h1')], [r(deploy('app:2', 2), 'h3'), r(cm('x', { k: '2' }), 'h4')], names);
  assert.deepEqual(a.changed.map((c) => [c.name, c.fields]), [['web', ['/spec/template/spec/containers/0/image']], ['x', ['/data/k']]]);
  assert.deepEqual(b.changed, a.changed);
  assert.equal(a.changed[0]!.fields, b.changed[0]!.fields, 'the same list object');
  assert.ok(Object.isFrozen(a.changed[0]!.fields));
  assert.equal(names.pointer(['metadata', 'annotations', 'a/b~c', 0]), '/metadata/annotations/a~1b~0c/0');
  assert.equal(names.pointer([]), '/');
});

test('preview: pinned skipped with why, already-there skipped, self-managed published, window holds shown, waves as planned', () => {
  const env = (tenant: string, over: Partial<PreviewEnvironment> = {}): PreviewEnvironment => ({
    tenant, environment: 'prod', envType: 'prod', cluster: 'c1', version: '1.0.0', tenantLabels: {}, tier: 'shared', channel: 'saas', current: [r(deploy('app:1', 2), 'h1')], ...over,
  });
  const envs = [
    env('a'), env('b', { tenantLabels: { internal: 'true' } }), env('c', { tenantLabels: { 'pin.fleetplane.io/prod': '1.0.0' } }),
    env('d', { channel: 'self-managed' }), env('e', { version: '2.0.0' }), env('f', { maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60 } }),
    env('g', { tenantLabels: { 'pin.fleetplane.io/prod': '2.0.0' } }),
  ];
  let rendered = 0;
  const p = previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, waves: [100] }, version: '2.0.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    render: (xs) => { rendered += xs.length; return xs.map(() => [r(deploy('app:2', 2), 'h2')]); },
  });
  assert.deepEqual(p.skipped.map((s) => [s.tenant, s.reason.split(':')[0]]), [['c', 'Pinned'], ['e', 'AlreadyAtVersion']]);
  assert.deepEqual(p.environments.map((e) => [e.waveName, e.tenant, e.delivery]), [['canary', 'b', 'apply'], ['wave-1', 'a', 'apply'], ['wave-1', 'd', 'publish'], ['wave-1', 'f', 'apply'], ['wave-1', 'g', 'apply']]);
  assert.equal(rendered, 5, 'only environments the rollout touches are rendered');
  assert.deepEqual(p.environments.filter((e) => e.heldByMaintenanceWindow).map((e) => e.tenant), ['f']);
  assert.deepEqual(p.totals, { environments: 5, added: 0, changed: 5, removed: 0, requests: { cpuMillis: 0, memoryBytes: 0, gpus: 0 } });
});

test('preview: environments on clusters outside the release Kubernetes range are skipped with why; self-managed and unknown versions are not', () => {
  const env = (tenant: string, over: Partial<PreviewEnvironment> = {}): PreviewEnvironment => ({
    tenant, environment: 'prod', envType: 'prod', cluster: 'c1', version: '1.0.0', tenantLabels: {}, tier: 'shared', channel: 'saas', current: [r(deploy('app:1', 2), 'h1')], ...over,
  });
  const envs = [
    env('a', { clusterVersion: 'v1.37.2' }), env('b', { cluster: 'c2', clusterVersion: 'v1.35.4' }),
    env('c', { cluster: 'c2', clusterVersion: 'v1.35.4', channel: 'self-managed' }), env('d', { clusterVersion: null }),
  ];
  const p = previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, waves: [100] }, version: '2.0.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    render: (xs) => xs.map(() => [r(deploy('app:2', 2), 'h2')]), kubernetes: { min: '1.36', max: '1.37' },
  });
  assert.deepEqual(p.skipped, [{ tenant: 'b', environment: 'prod', reason: "KubernetesVersion: cluster c2 runs v1.35.4, outside release 2.0.0's supported range (1.36 to 1.37)" }]);
  assert.deepEqual(p.environments.map((e) => e.tenant).sort(), ['a', 'c', 'd']);
  const all = previewRollout({ environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, waves: [100] }, version: '2.0.0', now: new Date(Date.UTC(2026, 11, 2, 12)), render: (xs) => xs.map(() => []) });
  assert.equal(all.skipped.length, 0, 'a release without a range skips nobody');
});

test('previewSteps asks for current objects a small batch at a time, in wave order, and gives previewRollout\'s preview', () => {
  const envs = Array.from({ length: 30 }, (_, n): PreviewEnvironment => ({
    tenant: `t${String(n).padStart(2, '0')}`, environment: 'prod', envType: 'prod', cluster: `c-${n % 2}`, version: '1.0.0', tenantLabels: {}, tier: 'shared', channel: 'saas',
    current: n % 5 === 0 ? null : [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: `t${n}` }, data: { v: String(n % 3) } }, hash: `h${n % 3}` }],
  }));
  const input = {
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 3 } }, version: '2.0.0', now: new Date(Date.UTC(2026, 11, 5)),
    render: (xs: readonly PreviewEnvironment[]) => xs.map((e) => [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: `t${Number(e.tenant.slice(1))}` }, data: { v: '1' } } as const }]),
  };
  const expected = previewRollout(input);
  const asked: string[][] = [];
  const steps = previewSteps(input);
  let step = steps.next([]);
  while (!step.done) {
    asked.push(step.value.map((e) => e.tenant));
    step = steps.next(step.value.map((e) => e.current));
  }
  assert.deepEqual(step.value, expected);
  assert.ok(asked.length > 1 && asked.every((b) => b.length > 0 && b.length <= 8), `batches ${asked.map((b) => b.length)}`);
  assert.deepEqual(asked.flat(), expected.environments.map((e) => e.tenant), 'asked in the preview\'s (wave) order, each once');
  assert.ok(expected.totals.changed > 0 && expected.totals.added > 0, 'the fleet has changed and added objects');
  // Resumed with the wrong number of revisions: refused, not misattributed.
  const broken = previewSteps(input);
  broken.next([]);
  assert.throws(() => broken.next([]), /0 current revisions for/);
});
