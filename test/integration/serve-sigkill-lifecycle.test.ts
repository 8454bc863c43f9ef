// Fault (#14): SIGKILL of `serve` during a fleet rollout and during offboarding (engine-fleet.test.ts
// covers onboarding). Real PostgreSQL, the testbed clusters, `serve` child processes: 8 tenants are
// onboarded and Ready; a rollout of 1.1.0 in waves is started and its `serve` killed with SIGKILL after
// the first upgrades finished; a new `serve` (another worker id) takes over: the rollout succeeds, every
// environment runs 1.1.0 Ready, and each was upgraded by exactly one operation. Then 4 tenants are
// offboarded and that `serve` is killed mid-way; the next one finishes: every offboarding succeeded once,
// their namespaces are gone, the other tenants are untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blueprintVersion } from '../helpers/api-harness.ts';
import { api, prepareFleet, publish, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

const run = uniqueSlug('k').slice(2);
const slugs = Array.from({ length: 8 }, (_, i) => `sk${run}-${i}`);
const ENV = { FLEETPLANE_LEASE_MS: '6000', FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_VERIFY_TIMEOUT: '3m', FLEETPLANE_RATE_LIMIT: '0' };
let fleet: Fleet;
const procs: ServeProcess[] = [];
let generation = 0;

async function serve(): Promise<{ proc: ServeProcess; client: Api }> {
  const proc = await startServe(fleet, { workerId: `sk-${run}-${generation++}`, env: ENV });
  procs.push(proc);
  return { proc, client: api(proc.url, fleet.adminToken) };
}

interface Op { id: string; kind: string; state: string; environment: string | null; params?: Record<string, unknown>; error?: string | null }
const opsOf = async (client: Api, tenant: string): Promise<Op[]> => (await client.call<{ items: Op[] }>('GET', `/v1/operations?tenant=${tenant}&limit=50`)).body.items ?? [];

before(async () => {
  fleet = await setupFleet();
});

after(async () => {
  for (const p of procs) await p.kill('SIGTERM').catch(() => undefined);
  for (const c of fleet?.clusters ?? []) {
    await c.client().deleteAll(slugs.map((s) => ({ apiVersion: 'v1', kind: 'Namespace', name: `${s}-prod` })), { concurrency: 8, propagationPolicy: 'Background' }).catch(() => undefined);
  }
  await fleet?.cleanup();
});

test('SIGKILL during a rollout and during offboarding: the next serve finishes both, every operation exactly once', async () => {
  let { proc, client } = await serve();
  await prepareFleet(client, fleet.clusters);
  await publish(client, blueprintVersion('1.1.0'));
  for (const slug of slugs) {
    const r = await client.call('POST', '/v1/tenants', { slug, name: slug, tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0' }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  await waitFor('all onboarded Ready', async () => {
    const envs = await Promise.all(slugs.map(async (s) => (await client.call<{ health: string }>('GET', `/v1/environments/${s}/prod`)).body.health));
    return envs.every((h) => h === 'Ready') ? envs : null;
  }, 600_000, 1000);

  // A rollout in waves, killed once its first upgrades have finished.
  const ro = await client.call<{ id: string }>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version: '1.1.0', selector: { tenants: slugs },
    strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 2, gates: { health: true, bakeSeconds: 0 } },
  });
  assert.equal(ro.status, 201, JSON.stringify(ro.body));
  const upgraded = async () => (await Promise.all(slugs.map((s) => opsOf(client, s)))).flat().filter((o) => o.kind === 'upgrade' && o.state === 'succeeded').length;
  await waitFor('the first upgrades done', async () => ((await upgraded()) >= 1 ? true : null), 600_000, 250);
  const before = await client.call<{ state: string }>('GET', `/v1/rollouts/${ro.body.id}`);
  await proc.kill('SIGKILL');
  ({ proc, client } = await serve());
  const done = await waitFor('the rollout finished', async () => {
    const r = await client.call<{ state: string; reason?: string }>('GET', `/v1/rollouts/${ro.body.id}`);
    return ['succeeded', 'failed', 'paused', 'aborted', 'rolled-back'].includes(r.body.state) ? r.body : null;
  }, 900_000, 1000);
  assert.equal(done.state, 'succeeded', `rollout ${JSON.stringify(done)} (it was ${before.body.state} when killed)`);
  for (const slug of slugs) {
    const e = (await client.call<{ version: string; health: string }>('GET', `/v1/environments/${slug}/prod`)).body;
    assert.deepEqual([e.version, e.health], ['1.1.0', 'Ready'], slug);
    const ups = (await opsOf(client, slug)).filter((o) => o.kind === 'upgrade');
    assert.deepEqual(ups.map((o) => o.state), ['succeeded'], `${slug}: exactly one upgrade`);
  }

  // Offboarding, killed mid-way.
  const leaving = slugs.slice(0, 4);
  const staying = slugs.slice(4);
  for (const slug of leaving) assert.equal((await client.call('DELETE', `/v1/tenants/${slug}`)).status, 202);
  await waitFor('an offboarding under way', async () => {
    const ops = (await Promise.all(leaving.map((s) => opsOf(client, s)))).flat().filter((o) => o.kind === 'offboard');
    return ops.some((o) => o.state !== 'pending') ? true : null;
  }, 300_000, 100);
  await proc.kill('SIGKILL');
  ({ proc, client } = await serve());
  await waitFor('every offboarding finished', async () => {
    const ops = (await Promise.all(leaving.map((s) => opsOf(client, s)))).flat().filter((o) => o.kind === 'offboard');
    return ops.length >= leaving.length && ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
  }, 600_000, 1000);
  for (const slug of leaving) {
    const offs = (await opsOf(client, slug)).filter((o) => o.kind === 'offboard');
    assert.deepEqual(offs.map((o) => o.state), ['succeeded'], `${slug}: exactly one offboarding, succeeded`);
    for (const c of fleet.clusters) {
      const ns = await c.client().get({ apiVersion: 'v1', kind: 'Namespace', name: `${slug}-prod` });
      assert.ok(!ns || ns.metadata.deletionTimestamp, `${slug}-prod gone from ${c.name}`);
    }
  }
  for (const slug of staying) {
    const e = (await client.call<{ health: string }>('GET', `/v1/environments/${slug}/prod`)).body;
    assert.equal(e.health, 'Ready', `${slug} untouched`);
  }
  assert.equal(proc.child.exitCode, null);
});
