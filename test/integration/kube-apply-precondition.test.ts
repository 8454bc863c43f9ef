// Server-side apply with a precondition, judged by a real kube-apiserver (testbed fp-1): by default
// the client drops metadata.resourceVersion (an apply is not a read-modify-write), so a stale
// version is ignored; with `precondition` it is sent, and a stale one is a 409 Conflict with nothing
// written: what the GitOps driver's read-widen-write of AppProjects and ApplicationSets relies on
// so two deliveries racing never lose each other's widening.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from '../../src/adapters/kube/errors.ts';
import { getTestbed, withNamespace } from '../helpers/testbed.ts';

test('apply keeps resourceVersion only when asked: a stale one is then a 409 and nothing changes', async () => {
  const [cluster] = (await getTestbed()).clusters;
  await withNamespace(cluster!, 'precondition', async ({ name: namespace, client }) => {
    const cm = (data: Record<string, string>, resourceVersion?: string) => ({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace, ...(resourceVersion ? { resourceVersion } : {}) }, data,
    });
    const first = await client.apply(cm({ a: '1' }));
    const stale = String(first.metadata.resourceVersion);
    const second = await client.apply(cm({ a: '2' }, stale), { precondition: true });
    assert.notEqual(second.metadata.resourceVersion, stale, 'the current version is accepted');
    const refused = await client.apply(cm({ a: '3' }, stale), { precondition: true }).then(() => null, (err: unknown) => err);
    assert.ok(refused instanceof KubeApiError, String(refused));
    assert.equal(refused.upstreamStatus, 409);
    assert.equal(refused.reason, 'Conflict');
    const live = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'c' });
    assert.deepEqual(live?.data, { a: '2' }, 'nothing written by the refused apply');
    // Without the option the stale version is dropped: a plain apply wins.
    const plain = await client.apply(cm({ a: '4' }, stale));
    assert.deepEqual(plain.data, { a: '4' });
  });
});
