// Fleet rollouts end to end: a real `fleetplane serve` (API + delivery engine) on PostgreSQL and a
// testbed cluster; the rollout controller under test runs in this process on the same database.
// A good release goes canary -> waves in order and succeeds; a never-ready release fails its canary,
// the health gate pauses the rollout and later waves stay untouched; abort stops it.
// Needs: eval "$(bash scripts/postgres.sh ensure)" and npm run testbed -- up --clusters 3
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RolloutController } from '../../src/engine/rollouts/index.ts';
import type { RolloutView } from '../../src/engine/rollouts/types.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import { api, prepareFleet, publish, release, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
let controller: RolloutController;
const run = uniqueSlug('ro');
const tenants = [
  { slug: `${run}-int`, labels: { internal: 'true' }, env: 'staging', type: 'staging' },
  { slug: `${run}-a`, labels: {}, env: 'prod', type: 'prod' },
  { slug: `${run}-b`, labels: { risk: 'low' }, env: 'prod', type: 'prod' },
  { slug: `${run}-c`, labels: {}, env: 'prod', type: 'prod' },
  { slug: `${run}-d`, labels: { risk: 'high' }, env: 'prod', type: 'prod' },
] as const;

const getRollout = async (id: string) => (await client.call<RolloutView>('GET', `/v1/rollouts/${id}`)).body;
const getEnv = async (t: string, e: string) => (await client.call<Environment>('GET', `/v1/environments/${t}/${e}`)).body;
const getOp = async (id: string) => (await client.call<Operation>('GET', `/v1/operations/${id}`)).body;
const ours = (r: RolloutView) => r.waves.flatMap((w) => w.targets).every((t) => t.tenant.startsWith(run));
const selector = { tenants: tenants.map((t) => t.slug) };

before(async () => {
  fleet = await setupFleet();
  // The verify timeout is what a never-ready canary costs; a good release must not miss it on a loaded machine.
  serve = await startServe(fleet, { workerId: `${run}-w1`, env: { FLEETPLANE_VERIFY_TIMEOUT: '60s', FLEETPLANE_VERIFY_ATTEMPTS: '1', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  client = api(serve.url, fleet.adminToken);
  const cluster = fleet.clusters[0]!;
  await prepareFleet(client, [cluster], release('1.0.0'));
  await publish(client, release('1.1.0'));
  await publish(client, release('1.2.0', '1.2.0-never-ready'));
  for (const t of tenants) {
    const r = await client.call('POST', '/v1/tenants', {
      slug: t.slug, name: t.slug, tier: 'shared', labels: t.labels,
      environments: [{ name: t.env, type: t.type, blueprint: 'demo-app', version: '1.0.0', cluster: cluster.name }],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  await waitFor('every environment Ready', async () => {
    const envs = await Promise.all(tenants.map((t) => getEnv(t.slug, t.env)));
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
  // Leave the shared testbed cluster as we found it.
  const kube = fleet?.clusters[0]?.client();
  for (const t of tenants) {
    for (const ns of (await kube?.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': t.slug } }).catch(() => [])) ?? []) {
      await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
    }
  }
  await fleet?.cleanup();
});

test('a good release goes canary -> waves in risk order and succeeds', async () => {
  const created = await client.call<RolloutView>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version: '1.1.0', selector, strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 2 },
  }, { 'idempotency-key': `${run}-good` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const replay = await client.call<RolloutView>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version: '1.1.0', selector, strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 2 },
  }, { 'idempotency-key': `${run}-good` });
  assert.equal(replay.status, 201, 'a keyed retry answers what the first request answered');
  assert.equal(replay.body.id, created.body.id);
  const plan = created.body;
  assert.ok(ours(plan));
  assert.deepEqual(plan.waves.map((w) => w.name), ['canary', 'wave-1', 'wave-2']);
  assert.deepEqual(plan.waves.map((w) => w.targets.map((t) => t.tenant)), [[`${run}-int`], [`${run}-b`, `${run}-a`], [`${run}-c`, `${run}-d`]]);

  const done = await waitFor('rollout succeeded', async () => {
    const r = await getRollout(plan.id);
    if (r.state === 'paused' || r.state === 'failed') throw new Error(`rollout ${r.state}: ${r.reason}`);
    return r.state === 'succeeded' ? r : null;
  }, 240_000, 1000);
  assert.deepEqual(done.waves.map((w) => [w.state, w.counts.succeeded, w.gate]), [['done', 1, 'passed'], ['done', 2, 'passed'], ['done', 2, 'passed']]);
  // Waves ran in order: every upgrade of wave N finished before the first of wave N+1 was created.
  const ops = await Promise.all(done.waves.map((w) => Promise.all(w.targets.map((t) => getOp(t.operationId!)))));
  for (let i = 0; i + 1 < ops.length; i++) {
    const lastFinish = Math.max(...ops[i]!.map((o) => Date.parse(o.finishedAt!)));
    const nextStart = Math.min(...ops[i + 1]!.map((o) => Date.parse(o.createdAt)));
    assert.ok(lastFinish <= nextStart, `wave ${i} finished before wave ${i + 1} started`);
  }
  for (const o of ops.flat()) assert.deepEqual([o.kind, o.state, o.params.version], ['upgrade', 'succeeded', '1.1.0']);
  for (const t of tenants) assert.equal((await getEnv(t.slug, t.env)).version, '1.1.0');
});

let badId = '';

test('a never-ready release fails its canary: the health gate pauses the rollout and later waves are untouched', async () => {
  const created = await client.call<RolloutView>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version: '1.2.0', selector, strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 2 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  badId = created.body.id;
  const paused = await waitFor('rollout paused', async () => {
    const r = await getRollout(badId);
    if (r.state === 'succeeded') throw new Error('a never-ready release must not succeed');
    return r.state === 'paused' ? r : null;
  }, 180_000, 1000);
  const canary = paused.waves[0]!;
  assert.equal(canary.counts.failed, 1);
  assert.equal(canary.gate, 'failed');
  assert.match(paused.reason ?? '', new RegExp(`health gate failed in canary: ${run}-int/staging`));
  for (const w of paused.waves.slice(1)) {
    assert.equal(w.counts.pending, w.targets.length, `${w.name} untouched`);
    assert.ok(w.targets.every((t) => t.operationId === null));
  }
  // The engine rolled the canary back; later waves never saw 1.2.0.
  const canaryEnv = await waitFor('canary back to Ready', async () => {
    const e = await getEnv(`${run}-int`, 'staging');
    return e.health === 'Ready' ? e : null;
  }, 120_000, 1000);
  assert.equal(canaryEnv.version, '1.1.0');
  for (const t of tenants.slice(1)) {
    const ops = await client.call<{ items: Operation[] }>('GET', `/v1/operations?tenant=${t.slug}&environment=${t.env}`);
    assert.ok(ops.body.items.every((o) => o.params.version !== '1.2.0'), `${t.slug} got no 1.2.0 upgrade`);
    assert.equal((await getEnv(t.slug, t.env)).version, '1.1.0');
  }
  // A paused rollout stays paused across controller ticks.
  await controller.tick();
  assert.equal((await getRollout(badId)).state, 'paused');
});

test('abort stops the rollout: pending targets cancelled, holds released, nothing new starts', async () => {
  const aborted = await client.call<RolloutView>('POST', `/v1/rollouts/${badId}:abort`);
  assert.equal(aborted.status, 200, JSON.stringify(aborted.body));
  assert.equal(aborted.body.state, 'aborted');
  assert.ok(aborted.body.finishedAt);
  for (const w of aborted.body.waves.slice(1)) assert.equal(w.counts.cancelled, w.targets.length);
  const { rows } = await fleet.store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM environments WHERE held_by = $1', [badId]);
  assert.equal(rows[0]!.n, 0);
  await controller.tick();
  const after = await getRollout(badId);
  assert.equal(after.state, 'aborted');
  assert.equal(after.totals.running, 0);
  const again = await client.call<{ type: string; status: number }>('POST', `/v1/rollouts/${badId}:resume`);
  assert.equal(again.status, 409);
  assert.match(again.body.type, /conflict/);
});
