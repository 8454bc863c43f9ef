// Declared cluster capabilities (issue #20, docs/ai-workloads.md, ADR 2001) through the real API on
// both stores: a cluster's registration may declare what the renderer may use (KServe, Knative,
// KEDA, Kubeflow Trainer) instead of its API discovery; bad lists are refused naming the field with
// nothing written; the one resolver (engine/capabilities.ts) prefers the declaration and asks
// discovery only without one; and the rollout preview renders each environment for its cluster's
// capabilities, as the engine's render step does, so an InferenceService environment previews as a
// change of its InferenceService, not as "InferenceService removed, Deployment added". A cluster whose
// discovery fails is previewed with core forms and named in the preview's warnings.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { blueprintFromRelease } from '../../src/domain/blueprint.ts';
import type { ClusterCapability } from '../../src/domain/capabilities.ts';
import { clusterCapabilitySource, type CapabilitySource } from '../../src/engine/capabilities.ts';
import { environmentRenderInput, renderEnvironment } from '../../src/render/index.ts';
import { BACKENDS, counts, harness, type Harness } from '../helpers/api-harness.ts';
import { env as newEnv, tenant as newTenant } from './store.suite.ts';

type Doc = { metadata: { name: string; version: string } };
const doc = (version: string): Doc => {
  const d = parseYaml(readFileSync(join(import.meta.dirname, '../../blueprints/ai-platform/1.0.0.yaml'), 'utf8')) as Doc;
  d.metadata.version = version;
  return d;
};
const cluster = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: 'local', region: 'local', apiServer: 'https://127.0.0.1:1', ...extra });
/** Connections that must never be asked: a declared cluster is resolved without its API. */
const noDiscovery = { get: async (name: string): Promise<never> => { throw new Error(`no discovery for ${name} in this test`); } };

for (const backend of BACKENDS) {
  describe(`declared cluster capabilities and the preview (${backend})`, () => {
    let h: Harness;
    let source: CapabilitySource;
    before(async () => {
      h = await harness(backend, undefined, { render: { capabilities: (c) => source(c) } });
      source = clusterCapabilitySource(h.store, noDiscovery);
    });
    after(async () => h?.close());

    test('registration declares capabilities (or not); bad lists are refused naming the field, nothing written', async () => {
      const k = await h.req('POST', '/v1/clusters', { body: cluster('k1', { capabilities: ['kserve'] }) });
      assert.equal(k.status, 201, JSON.stringify(k.body));
      assert.deepEqual(k.body.capabilities, ['kserve']);
      assert.deepEqual((await h.req('POST', '/v1/clusters', { body: cluster('plain', { capabilities: [] }) })).body.capabilities, []);
      const disc = await h.req('POST', '/v1/clusters', { body: cluster('disc') });
      assert.equal(disc.status, 201);
      assert.equal('capabilities' in disc.body, false, 'no declaration: discovery');
      const rows = await counts(h.store);
      for (const [capabilities, field] of [[['kserve', 'istio'], '/capabilities/1'], [['keda', 'keda'], '/capabilities'], ['kserve', '/capabilities']] as const) {
        const r = await h.req('POST', '/v1/clusters', { body: cluster('bad', { capabilities }) });
        assert.equal(r.status, 400, JSON.stringify(r.body));
        assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
        assert.ok(JSON.stringify(r.body).includes(field), `${JSON.stringify(capabilities)}: names ${field}: ${JSON.stringify(r.body)}`);
      }
      assert.equal((await h.req('GET', '/v1/clusters/bad')).status, 404, 'nothing registered');
      assert.deepEqual(await counts(h.store), rows, 'nothing written');
      // Re-registering without the field goes back to discovery; with it, to the declaration.
      assert.equal('capabilities' in (await h.req('POST', '/v1/clusters', { body: cluster('k1') })).body, false);
      assert.deepEqual((await h.req('POST', '/v1/clusters', { body: cluster('k1', { capabilities: ['kserve'] }) })).body.capabilities, ['kserve']);
    });

    test('the resolver takes the declaration without asking the cluster, and asks discovery only without one', async () => {
      assert.deepEqual(await source('k1'), ['kserve']);
      assert.deepEqual(await source('plain'), []);
      await assert.rejects(source('disc'), /no discovery for disc in this test/);
      const override = clusterCapabilitySource(h.store, noDiscovery, async () => ['keda']);
      assert.deepEqual(await override('k1'), ['keda'], 'the engine override (tests) wins');
    });

    test('the preview renders each environment for its cluster\'s capabilities, as the rollout will', async () => {
      for (const v of ['1.0.0', '1.0.1']) {
        const pub = await h.req('POST', '/v1/blueprints', { body: { name: 'ai-platform', version: v, spec: doc(v) } });
        assert.equal(pub.status, 201, JSON.stringify(pub.body));
      }
      const release = (await h.store.blueprints.get('ai-platform', '1.0.0'))!;
      // Each environment as the engine delivered it: rendered for its cluster's capabilities then.
      const placed: Array<[string, string, ClusterCapability[]]> = [['ka', 'k1', ['kserve']], ['pa', 'plain', []], ['da', 'disc', []]];
      for (const [t, c, caps] of placed) {
        const tenant = await h.store.tenants.create(newTenant(t));
        const env = await h.store.environments.create(newEnv(t, 'dev', { type: 'dev', blueprint: 'ai-platform', version: '1.0.0', values: {}, placement: { cluster: c, namespace: `${t}-dev` } }));
        const out = renderEnvironment(environmentRenderInput(tenant, env, blueprintFromRelease(release), { capabilities: caps }));
        await h.store.revisions.save({ id: out.revision, tenant: t, environment: 'dev', blueprint: out.blueprint, version: out.version, objects: out.objects, helmValues: out.helmValues, createdAt: new Date().toISOString() });
        await h.store.environments.update(t, 'dev', { appliedRevision: out.revision, desiredRevision: out.revision, health: 'Ready' });
      }
      // pa sleeps: its preview says the new revision is delivered held at zero.
      await h.store.ai.hibernate({ tenant: 'pa', environment: 'dev', startedAt: new Date().toISOString(), replicas: 4, gpus: 3, revision: null, reason: 'manual' });
      const rows = await counts(h.store);
      const p = await h.req('POST', '/v1/rollouts:preview', { body: { blueprint: 'ai-platform', version: '1.0.1', selector: { tenants: ['ka', 'pa', 'da'] }, strategy: { waves: [100], maxParallel: 3 } } });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      assert.deepEqual(await counts(h.store), rows, 'a preview writes nothing');
      const byTenant = new Map((p.body.environments as Array<{ tenant: string; added: Array<{ kind: string; name: string }>; removed: Array<{ kind: string; name: string }>; changed: Array<{ kind: string; name: string }> }>).map((e) => [e.tenant, e]));
      const ka = byTenant.get('ka')!;
      assert.deepEqual([ka.added, ka.removed], [[], []], `KServe cluster: the same forms, only changed: ${JSON.stringify(ka)}`);
      assert.ok(ka.changed.some((c) => c.kind === 'InferenceService' && c.name === 'ranker'), JSON.stringify(ka.changed));
      for (const t of ['pa', 'da']) {
        const e = byTenant.get(t)!;
        assert.deepEqual([e.added, e.removed], [[], []], t);
        assert.ok(e.changed.some((c) => c.kind === 'Deployment' && c.name === 'ranker'), t);
        assert.ok(!e.changed.some((c) => c.kind === 'InferenceService'), t);
      }
      assert.deepEqual(['ka', 'pa', 'da'].map((t) => (byTenant.get(t) as unknown as { hibernated: boolean }).hibernated), [false, true, false]);
      assert.equal(p.body.warnings.length, 1, JSON.stringify(p.body.warnings));
      assert.match(p.body.warnings[0], /^cluster disc: capabilities unknown \(no discovery for disc in this test\); its environments are previewed with core Kubernetes forms$/);
    });
  });
}
