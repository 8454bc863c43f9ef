// The what-if preview against what the rollout then does, end to end: a real `fleetplane serve` on
// PostgreSQL and a testbed cluster. The preview of 1.1.0 lists the waves the rollout then freezes, skips
// the environment pinned to 1.0.0 (and the rollout leaves it there), writes nothing, and its per-
// environment added/changed/removed objects equal the difference between the revision each environment
// ran and the one the rollout applied.
// Needs: eval "$(bash scripts/postgres.sh ensure)" and npm run testbed -- up --clusters 3
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RolloutController } from '../../src/engine/rollouts/index.ts';
import type { RolloutView } from '../../src/engine/rollouts/types.ts';
import type { Environment } from '../../src/domain/types.ts';
import { diffObjects, type RolloutPreview } from '../../src/plan/rollout-preview.ts';
import { api, prepareFleet, publish, release, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
let controller: RolloutController;
const run = uniqueSlug('pv');
const tenants = [
  { slug: `${run}-int`, labels: { internal: 'true' } },
  { slug: `${run}-a`, labels: {} },
  { slug: `${run}-pin`, labels: { 'pin.fleetplane.io/prod': '1.0.0' } },
] as const;
const selector = { tenants: tenants.map((t) => t.slug) };
const body = { blueprint: 'demo-app', version: '1.1.0', selector, strategy: { canary: { count: 1 }, waves: [100], maxParallel: 2 } };
const getEnv = async (t: string, e: string) => (await client.call<Environment>('GET', `/v1/environments/${t}/${e}`)).body;

before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, { workerId: `${run}-w1`, env: { FLEETPLANE_VERIFY_TIMEOUT: '60s', FLEETPLANE_VERIFY_ATTEMPTS: '1', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  client = api(serve.url, fleet.adminToken);
  const cluster = fleet.clusters[0]!;
  await prepareFleet(client, [cluster], release('1.0.0'));
  await publish(client, release('1.1.0'));
  for (const t of tenants) {
    const r = await client.call('POST', '/v1/tenants', {
      slug: t.slug, name: t.slug, tier: 'shared', labels: t.labels,
      environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: cluster.name }],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  await waitFor('every environment Ready', async () => {
    const envs = await Promise.all(tenants.map((t) => getEnv(t.slug, 'prod')));
    const failed = envs.find((e) => e.health === 'Failed' || e.health === 'Degraded');
    if (failed) throw new Error(`${failed.tenant}/${failed.name} is ${failed.health}`);
    return envs.every((e) => e.health === 'Ready');
  }, 240_000, 1000);
  controller = new RolloutController({ store: fleet.store, workerId: `${run}-controller`, intervalMs: 300 });
  controller.start();
});

after(async () => {
  await controller?.stop();
  await serve?.kill('SIGTERM');
  const kube = fleet?.clusters[0]?.client();
  for (const t of tenants) {
    for (const ns of (await kube?.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': t.slug } }).catch(() => [])) ?? []) {
      await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
    }
  }
  await fleet?.cleanup();
});

const keys = (xs: Array<{ kind: string; name: string; namespace?: string }>) => xs.map((x) => `${x.kind}/${x.namespace ?? ''}/${x.name}`).sort();

test('the preview lists what the rollout then does: waves, the pinned environment skipped, the object diff applied', async () => {
  const rolloutsBefore = (await client.call<{ items: unknown[] }>('GET', '/v1/rollouts?limit=500')).body.items.length;
  const p = await client.call<RolloutPreview>('POST', '/v1/rollouts:preview', body);
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const preview = p.body;
  assert.equal((await client.call<{ items: unknown[] }>('GET', '/v1/rollouts?limit=500')).body.items.length, rolloutsBefore, 'a preview writes no rollout');
  assert.deepEqual(preview.skipped, [{ tenant: `${run}-pin`, environment: 'prod', reason: 'Pinned: pinned to 1.0.0' }]);
  assert.deepEqual(preview.environments.map((e) => [e.waveName, e.tenant]), [['canary', `${run}-int`], ['wave-1', `${run}-a`]]);
  for (const e of preview.environments) {
    const web = e.changed.find((c) => c.kind === 'Deployment' && c.name === 'web');
    assert.ok(web, `${e.tenant}: the web Deployment changes`);
    assert.ok(web.fields.includes('/spec/template/spec/containers/0/image'), JSON.stringify(web.fields));
    assert.equal(e.fromVersion, '1.0.0');
  }
  const before = new Map<string, string | null | undefined>(await Promise.all(tenants.map(async (t) => [t.slug, (await getEnv(t.slug, 'prod')).appliedRevision] as const)));

  const created = await client.call<RolloutView>('POST', '/v1/rollouts', body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.waves.map((w) => [w.name, w.targets.map((t) => t.tenant)]), preview.waves.map((w) => [w.name, preview.environments.filter((e) => e.wave === w.index).map((e) => e.tenant)]));
  await waitFor('rollout succeeded', async () => {
    const r = (await client.call<RolloutView>('GET', `/v1/rollouts/${created.body.id}`)).body;
    if (r.state === 'paused' || r.state === 'failed') throw new Error(`rollout ${r.state}: ${r.reason}`);
    return r.state === 'succeeded' ? r : null;
  }, 240_000, 1000);

  for (const e of preview.environments) {
    const env = await getEnv(e.tenant, 'prod');
    assert.equal(env.version, '1.1.0');
    const from = await fleet.store.revisions.get(e.tenant, 'prod', before.get(e.tenant)!);
    const to = await fleet.store.revisions.get(e.tenant, 'prod', env.appliedRevision!);
    const applied = diffObjects(from!.objects, to!.objects);
    assert.deepEqual(keys(e.added), keys(applied.added), `${e.tenant} added`);
    assert.deepEqual(keys(e.changed), keys(applied.changed), `${e.tenant} changed`);
    assert.deepEqual(keys(e.removed), keys(applied.removed), `${e.tenant} removed`);
    assert.deepEqual(e.changed.map((c) => c.fields), applied.changed.map((c) => c.fields), `${e.tenant} field paths`);
    assert.deepEqual(e.requests, applied.requests);
  }
  const pinned = await getEnv(`${run}-pin`, 'prod');
  assert.equal(pinned.version, '1.0.0', 'the pinned environment stays on its release');
  assert.equal(pinned.appliedRevision, before.get(`${run}-pin`));
});
