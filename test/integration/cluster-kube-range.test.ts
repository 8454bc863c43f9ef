// A blueprint release's Kubernetes range (`spec.product.kubernetes`) on the real API and store, both
// backends: placement never puts a release on a cluster outside its range (explained), a rollout
// skips environments whose cluster is outside the target release's range (preview and the created
// rollout agree), the fleet version report warns about a cluster outside a release its environments
// run, and a cluster upgrade that would leave a running release's range is refused by the
// pre-flight (nothing written) unless forced.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, blueprintVersion, harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';

const cluster = (name: string, kubernetesVersion: string) => ({ name, provider: 'aws', region: 'eu-west-1', apiServer: 'https://127.0.0.1:1', kubernetesVersion });

for (const backend of BACKENDS) {
  describe(`blueprint Kubernetes ranges (${backend})`, () => {
    let h: Harness;

    /** Puts tenant/prod on a cluster at a release, as the engine would have. */
    async function place(tenant: string, clusterName: string, version: string): Promise<void> {
      const env = (await h.store.environments.get(tenant, 'prod'))!;
      await h.store.environments.update(tenant, 'prod', { placement: { cluster: clusterName, namespace: `${tenant}-prod` }, version }, env.resourceVersion);
    }

    before(async () => {
      h = await harness(backend);
      await publishSample(h, '1.0.0');
      // 2.0.0 supports Kubernetes 1.36 only.
      const doc = blueprintVersion('2.0.0') as { spec: { product: Record<string, unknown> } };
      const spec = { ...doc, spec: { ...doc.spec, product: { ...doc.spec.product, kubernetes: { min: '1.36', max: '1.36' } } } };
      assert.equal((await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version: '2.0.0', spec } })).status, 201);
      for (const c of [cluster('k36', 'v1.36.3'), cluster('k37', 'v1.37.2')]) assert.equal((await h.req('POST', '/v1/clusters', { body: c })).status, 201);
      for (const t of ['gamma', 'delta', 'eps']) assert.equal((await h.req('POST', '/v1/tenants', { body: tenantBody(t, ['prod']) })).status, 202);
      await place('gamma', 'k37', '1.0.0');
      await place('delta', 'k36', '1.0.0');
      await place('eps', 'k37', '2.0.0');
    });
    after(async () => h?.close());

    test('placement: a cluster outside the release range is rejected with the reason; a release without a range may go anywhere', async () => {
      const ranged = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'gamma', blueprint: 'demo-app', version: '2.0.0', type: 'prod' } });
      assert.equal(ranged.status, 200, JSON.stringify(ranged.body));
      assert.equal(ranged.body.cluster, 'k36');
      assert.deepEqual(ranged.body.rejected.map((r: { cluster: string; check: string; reason: string }) => [r.cluster, r.check, r.reason]),
        [['k37', 'kubernetes', "Kubernetes v1.37.2 is outside demo-app@2.0.0's supported range (1.36 to 1.36)"]]);
      const open = await h.req('POST', '/v1/placement:preview', { body: { tenant: 'gamma', blueprint: 'demo-app', version: '1.0.0', type: 'prod' } });
      assert.deepEqual(open.body.rejected, []);
    });

    test('rollout: the preview and the created rollout skip the environment on a cluster outside the target range, naming it', async () => {
      const body = { blueprint: 'demo-app', version: '2.0.0', selector: { tenants: ['gamma', 'delta'] }, strategy: { waves: [100] } };
      const preview = await h.req('POST', '/v1/rollouts:preview', { body });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      const why = "KubernetesVersion: cluster k37 runs v1.37.2, outside release 2.0.0's supported range (1.36 to 1.36)";
      assert.deepEqual(preview.body.skipped, [{ tenant: 'gamma', environment: 'prod', reason: why }]);
      assert.deepEqual(preview.body.environments.map((e: { tenant: string }) => e.tenant), ['delta']);
      const created = await h.req('POST', '/v1/rollouts', { body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const rollout = await h.store.rollouts.get(created.body.id);
      assert.deepEqual(rollout?.spec.skipped, [{ tenant: 'gamma', environment: 'prod', reason: why }]);
      assert.deepEqual((await h.store.rollouts.targets(created.body.id)).map((t) => t.tenant), ['delta']);
      assert.equal((await h.req('POST', `/v1/rollouts/${created.body.id}:abort`, { body: {} })).status, 200);
    });

    test('version report warns about a cluster outside a running release; the upgrade pre-flight refuses leaving a range, nothing written, unless forced', async () => {
      const rep = await h.req('GET', '/v1/fleet/versions?target=v1.37.2');
      assert.equal(rep.status, 200);
      const warnings = (name: string) => rep.body.clusters.find((c: { name: string }) => c.name === name).warnings
        .filter((w: { kind: string }) => w.kind === 'outside-release-range').map((w: { message: string }) => w.message);
      assert.deepEqual(warnings('k37'), ["Kubernetes v1.37.2 is outside demo-app@2.0.0's supported range (1.36 to 1.36): 1 environment run it here"]);
      assert.deepEqual(warnings('k36'), []);
      // delta moves to 2.0.0 on k36: upgrading k36 to 1.37 would leave 2.0.0's range.
      await place('delta', 'k36', '2.0.0');
      const refused = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', clusters: ['k36'] } });
      assert.equal(refused.status, 409);
      assert.match(refused.body.detail, /demo-app@2\.0\.0 on k36 \(1 environment\) supports Kubernetes 1\.36 to 1\.36/);
      assert.equal((await h.req('GET', '/v1/cluster-upgrades')).body.items.length, 0, 'nothing written');
      const forced = await h.req('POST', '/v1/cluster-upgrades', { body: { target: 'v1.37.2', clusters: ['k36'], force: true } });
      assert.equal(forced.status, 201, JSON.stringify(forced.body));
      assert.equal((await h.req('POST', `/v1/cluster-upgrades/${forced.body.id}:abort`)).status, 200);
    });
  });
}
