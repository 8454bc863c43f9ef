// Delivering into a namespace an earlier removal is still deleting (testbed fp-1, a real
// kube-apiserver and namespace controller): the namespace is held Terminating by a ConfigMap with a
// finalizer, as pods and finalizers hold it in life. The direct driver's apply is refused by the API
// server ("being terminated"), and the GitOps driver checks before it applies anything out of band
// (Argo CD would meet the refusal and give up): both turn it into the step's wait (StepWaitingError,
// the operation parks), never a failure; once the namespace is gone the same delivery goes through.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { StepWaitingError } from '../../src/domain/errors.ts';
import { DirectDriver } from '../../src/engine/drivers/direct.ts';
import { waitWhileNamespaceTerminates } from '../../src/engine/drivers/namespace-terminating.ts';
import { getTestbed } from '../helpers/testbed.ts';
import { makeContext, makeRevision, testClusterClient } from './gitops-support.ts';

const HOLD = 'fleetplane.io/test-hold';

test('a namespace still terminating parks the delivery (direct and GitOps); once it is gone the delivery succeeds', async () => {
  const [cluster] = (await getTestbed()).clusters;
  const kube = cluster!.client();
  const tenant = `nst-${randomBytes(3).toString('hex')}`;
  const namespace = `${tenant}-prod`;
  const nsRef = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
  const holdRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'hold' };
  const ctx = makeContext({ tenant, env: 'prod', namespace, cluster: cluster!, kube: testClusterClient(cluster!.name, kube), kind: 'onboard' });
  const driver = new DirectDriver();
  const rev = makeRevision({ tenant, environment: 'prod', namespace, version: '1.0.0' });
  try {
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hold', namespace, finalizers: [HOLD] }, data: { a: '1' } });
    await kube.delete(nsRef);
    // The namespace controller deletes the ConfigMap, whose finalizer keeps it (and the namespace) there.
    for (let i = 0; !(await kube.get(holdRef))?.metadata.deletionTimestamp; i++) {
      assert.ok(i < 600, 'the namespace controller never got to the held ConfigMap');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok((await kube.get(nsRef))?.metadata.deletionTimestamp, 'the namespace is Terminating');

    const direct = await driver.deliver(ctx, rev).then(() => null, (err: unknown) => err);
    assert.ok(direct instanceof StepWaitingError, `direct: a wait, not a failure: ${String(direct)}`);
    assert.match(direct.message, new RegExp(`namespace ${namespace} on ${cluster!.name} is still being deleted`));
    const gitops = await waitWhileNamespaceTerminates(ctx).then(() => null, (err: unknown) => err);
    assert.ok(gitops instanceof StepWaitingError, `gitops: a wait before anything is applied: ${String(gitops)}`);
    assert.match(gitops.message, /since \d{4}-/);

    // The removal finishes: the namespace goes, and the same delivery creates it anew.
    await kube.mergePatch(holdRef, { metadata: { finalizers: null } });
    for (let i = 0; await kube.get(nsRef); i++) {
      assert.ok(i < 1200, 'the namespace never went');
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitWhileNamespaceTerminates(ctx);
    const done = await driver.deliver(ctx, rev);
    assert.ok(done.applied.some((r) => r.kind === 'Deployment' && r.name === 'web'), JSON.stringify(done.applied));
    const ns = await kube.get(nsRef);
    assert.ok(ns && !ns.metadata.deletionTimestamp, 'a new, live namespace');
  } finally {
    await kube.mergePatch(holdRef, { metadata: { finalizers: null } }).catch(() => undefined);
    await kube.delete(nsRef).catch(() => undefined);
  }
});
