// Pagination, 410 relist, discovery refresh and request shape, against a scripted transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from './client.ts';
import { KubeApiError } from './errors.ts';
import type { RequestSpec, Transport } from './transport.ts';

type Handler = (spec: RequestSpec) => unknown;

function fakeClient(handler: Handler): { client: KubeClient; calls: RequestSpec[] } {
  const calls: RequestSpec[] = [];
  const transport = {
    server: 'https://example.invalid',
    request: async (spec: RequestSpec) => {
      calls.push(spec);
      return handler(spec);
    },
  } as unknown as Transport;
  return { client: new KubeClient(transport), calls };
}

const coreV1 = { resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true }, { name: 'namespaces', kind: 'Namespace', namespaced: false }, { name: 'pods/status', kind: 'Pod', namespaced: true }] };
const gone = (path: string) => new KubeApiError({ method: 'GET', path, httpStatus: 410, status: { reason: 'Expired', message: 'continue token expired' } });

test('list pages through continue tokens and relists from scratch on 410', async () => {
  let expiredOnce = false;
  const { client, calls } = fakeClient((spec) => {
    if (spec.path === '/api/v1') return coreV1;
    const token = spec.query?.continue;
    if (token === 'p2' && !expiredOnce) {
      expiredOnce = true;
      throw gone(spec.path);
    }
    if (!token) return { items: [{ metadata: { name: 'a' } }], metadata: { continue: 'p2' } };
    return { items: [{ metadata: { name: 'b' } }], metadata: {} };
  });
  const items = await client.list('v1', 'ConfigMap', { namespace: 'ns', labelSelector: { app: 'web', tier: 'fe' }, pageSize: 1 });
  assert.deepEqual(items.map((i) => [i.kind, i.apiVersion, i.metadata.name]), [['ConfigMap', 'v1', 'a'], ['ConfigMap', 'v1', 'b']]);
  const lists = calls.filter((c) => c.path === '/api/v1/namespaces/ns/configmaps');
  assert.deepEqual(lists.map((c) => c.query?.continue ?? null), [null, 'p2', null, 'p2']);
  assert.equal(lists[0]!.query?.labelSelector, 'app=web,tier=fe');
});

test('apply sends SSA with field manager, strict validation and only explicit force/dryRun', async () => {
  const { client, calls } = fakeClient((spec) => (spec.path === '/api/v1' ? coreV1 : { ok: true }));
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [{}], resourceVersion: '7' }, data: { a: '1' } };
  await client.apply(cm, { defaultNamespace: 'team' });
  await client.apply({ ...cm, metadata: { name: 'c', namespace: 'other' } }, { force: true, dryRun: true });
  const [first, second] = calls.filter((c) => c.method === 'PATCH');
  assert.equal(first!.path, '/api/v1/namespaces/team/configmaps/c');
  assert.equal(first!.contentType, 'application/apply-patch+yaml');
  assert.deepEqual(first!.query, { fieldManager: 'fleetplane', fieldValidation: 'Strict', force: undefined, dryRun: undefined });
  assert.deepEqual((first!.body as { metadata: unknown }).metadata, { name: 'c', namespace: 'team' });
  assert.equal(second!.path, '/api/v1/namespaces/other/configmaps/c');
  assert.deepEqual(second!.query, { fieldManager: 'fleetplane', fieldValidation: 'Strict', force: true, dryRun: 'All' });
});

test('mergePatchIfExists sends a JSON merge patch (an Update, so it can drop fields another manager owns); null when the object is gone', async () => {
  const { client, calls } = fakeClient((spec) => {
    if (spec.path === '/api/v1') return coreV1;
    if (spec.path.endsWith('/gone')) throw new KubeApiError({ method: 'PATCH', path: spec.path, httpStatus: 404, status: { reason: 'NotFound', message: 'not found' } });
    return { kind: 'ConfigMap', metadata: { name: 'c' } };
  });
  const patch = { metadata: { annotations: { 'argocd.argoproj.io/tracking-id': null } } };
  assert.deepEqual(await client.mergePatchIfExists({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team', name: 'c' }, patch), { kind: 'ConfigMap', metadata: { name: 'c' } });
  assert.equal(await client.mergePatchIfExists({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'team', name: 'gone' }, patch), null);
  const [sent] = calls.filter((c) => c.method === 'PATCH');
  assert.equal(sent!.path, '/api/v1/namespaces/team/configmaps/c');
  assert.equal(sent!.contentType, 'application/merge-patch+json');
  assert.deepEqual(sent!.body, patch);
  assert.deepEqual(sent!.query, { fieldManager: 'fleetplane', fieldValidation: 'Strict', dryRun: undefined });
});

test('discovery refreshes once on an unknown kind, then reports it as input error', async () => {
  let served = { resources: [] as unknown[] };
  const { client, calls } = fakeClient((spec) => {
    if (spec.path === '/apis/monitoring.coreos.com/v1') return served;
    return { items: [] };
  });
  await assert.rejects(client.list('monitoring.coreos.com/v1', 'ServiceMonitor'), /does not serve kind ServiceMonitor/);
  served = { resources: [{ name: 'servicemonitors', kind: 'ServiceMonitor', namespaced: true }] };
  await client.list('monitoring.coreos.com/v1', 'ServiceMonitor');
  assert.equal(calls.at(-1)!.path, '/apis/monitoring.coreos.com/v1/servicemonitors');
  assert.equal(calls.filter((c) => c.path === '/apis/monitoring.coreos.com/v1').length, 3);
  await client.list('monitoring.coreos.com/v1', 'ServiceMonitor');
  assert.equal(calls.filter((c) => c.path === '/apis/monitoring.coreos.com/v1').length, 3, 'cached after a hit');
});

test('namespaced object without a namespace is rejected before any request', async () => {
  const { client, calls } = fakeClient((spec) => (spec.path === '/api/v1' ? coreV1 : {}));
  await assert.rejects(client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), /namespaced but has no namespace/);
  assert.equal(calls.filter((c) => c.method === 'PATCH').length, 0);
});
