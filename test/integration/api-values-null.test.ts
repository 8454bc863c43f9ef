// A `null` in a patch deletes the key, end to end, on both store backends: the API validates the
// patched values with the engine's own merge rule (domain/values.ts), answers 202, and the engine's
// next revision no longer carries the value: the parameter's default applies again. Real store,
// real engine, a testbed cluster (the revision is delivered and verified like any other).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import type { Environment, Operation, Revision } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { BACKENDS, harness, publishSample, type Harness } from '../helpers/api-harness.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { uniqueSlug, waitFor } from './engine.fixture.ts';

const configOf = (rev: Revision): Record<string, string> => {
  const cm = rev.objects.map((o) => o.object).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'web-config');
  assert.ok(cm, `revision ${rev.id} has the web ConfigMap`);
  return (cm as unknown as { data: Record<string, string> }).data;
};

for (const backend of BACKENDS) {
  describe(`a null value deletes the key (${backend})`, () => {
    let h: Harness;
    let engine: Engine;
    let cluster: TestCluster;
    const tenant = uniqueSlug('nul');

    const env = async (): Promise<Environment> => (await h.req('GET', `/v1/environments/${tenant}/prod`)).body as Environment;
    const done = (id: string) => waitFor(`operation ${id}`, async () => {
      const op = (await h.req('GET', `/v1/operations/${id}`)).body as Operation;
      return op.state === 'succeeded' || op.state === 'failed' ? op : null;
    }, 180_000, 300);
    const revision = async (id: string): Promise<Revision> => {
      const rev = await h.store.revisions.get(tenant, 'prod', id);
      assert.ok(rev, `revision ${id} is stored`);
      return rev;
    };

    before(async () => {
      [cluster] = (await getTestbed()).clusters as [TestCluster];
      h = await harness(backend);
      await publishSample(h);
      const reg = await h.req('POST', '/v1/clusters', { body: { name: cluster.name, provider: 'local', region: 'local', role: 'shared', apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8') } });
      assert.ok(reg.status < 300, JSON.stringify(reg.body));
      engine = await startEngine({
        store: h.store, logger: pino({ level: 'silent' }), workerId: `${tenant}-engine`, reconcileIntervalMs: 0, clusterRefreshIntervalMs: 0, pollMs: 200, verifyTimeoutMs: 120_000,
      });
    });

    after(async () => {
      await engine?.stop();
      await cluster?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-prod` }).catch(() => false);
      await h?.close();
    });

    test('PATCH-style action {"values":{"logLevel":null}} is accepted and the next revision renders the default', async () => {
      const r = await h.req('POST', '/v1/tenants', {
        body: { slug: tenant, name: tenant, tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: cluster.name, values: { logLevel: 'debug' } }] },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const onboarded = await done((r.body.operations as Operation[])[0]!.id);
      assert.equal(onboarded.state, 'succeeded', onboarded.error ?? '');
      const before = await env();
      assert.equal(configOf(await revision(before.appliedRevision!)).LOG_LEVEL, 'debug');

      const p = await h.req('POST', `/v1/tenants/${tenant}/environments/prod:patch`, { body: { values: { logLevel: null } } });
      assert.equal(p.status, 202, JSON.stringify(p.body));
      const patched = await done((p.body as Operation).id);
      assert.equal(patched.state, 'succeeded', patched.error ?? '');
      const after = await env();
      assert.notEqual(after.appliedRevision, before.appliedRevision, 'a new revision');
      assert.equal('logLevel' in after.values, false, `values without the key: ${JSON.stringify(after.values)}`);
      const rev = await revision(after.appliedRevision!);
      assert.equal(configOf(rev).LOG_LEVEL, 'info', 'the schema default applies again');
      assert.ok(!JSON.stringify(rev.objects).includes('"debug"'), 'the deleted value is nowhere in the revision');
    });

    test('a value the blueprint schema refuses is still a 400 naming the field', async () => {
      const p = await h.req('POST', `/v1/tenants/${tenant}/environments/prod:patch`, { body: { values: { logLevel: 'loud' } } });
      assert.equal(p.status, 400, JSON.stringify(p.body));
      assert.equal(p.body.errors[0].field, '/values/logLevel');
    });
  });
}
