// Capacity-aware placement through the engine: environments placed automatically reserve their
// quota (from the blueprint release, scaled by their tenant's tier as the renderer scales it) on
// their cluster; once every cluster's allocatable CPU times the overcommit is taken, the next
// onboarding fails at `place` and says why. An operator's explicit cluster is kept, with the
// overrun reported. Capacities are set by hand here (the inventory is off) so the test controls
// them; a real serve reads them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Operation } from '../../src/domain/types.ts';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, startServe, uniqueSlug, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
const tenants = [uniqueSlug('cap-a'), uniqueSlug('cap-b'), uniqueSlug('cap-c'), uniqueSlug('cap-hybrid'), uniqueSlug('cap-explicit')];

before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, { workerId: 'cap-1', env: { FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '0', FLEETPLANE_CPU_OVERCOMMIT: '1', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  client = api(serve.url, fleet.adminToken);
  await prepareFleet(client, fleet.clusters.slice(0, 2));
  // 5 cores each: room for one prod environment (quota cpu "4" in the sample blueprint), not two.
  for (const c of fleet.clusters.slice(0, 2)) assert.ok(await fleet.store.clusters.setCapacity(c.name, { cpuMillis: 5000, memoryBytes: 64 * 2 ** 30, gpus: 0, nodes: 1 }));
});

after(async () => {
  await serve?.kill('SIGTERM');
  for (const c of fleet?.clusters.slice(0, 2) ?? []) {
    for (const t of tenants) await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${t}-prod` }).catch(() => false);
  }
  await fleet?.cleanup();
});

const onboard = async (slug: string, tier: 'shared' | 'hybrid' = 'shared', cluster?: string): Promise<Operation> =>
  operationDone(fleet, await onboardOne(client, slug, { name: 'prod', type: 'prod', ...(cluster ? { cluster } : {}) }, tier));

test('automatic placement fills clusters up to their CPU and then refuses, naming why', async () => {
  // A hybrid tenant's quota is twice the blueprint's (8 cores): no 5-core cluster takes it, even empty.
  const hybrid = await onboard(tenants[3]!, 'hybrid');
  assert.equal(hybrid.state, 'failed');
  assert.match(hybrid.error ?? '', /not enough CPU capacity \(8 of 5 cores/);

  const a = await onboard(tenants[0]!);
  const b = await onboard(tenants[1]!);
  assert.deepEqual([a.state, b.state], ['succeeded', 'succeeded'], `${a.error} ${b.error}`);
  const placed = await Promise.all(tenants.slice(0, 2).map(async (t) => (await fleet.store.environments.get(t, 'prod'))?.placement.cluster));
  assert.deepEqual(new Set(placed), new Set(fleet.clusters.slice(0, 2).map((c) => c.name)), 'one prod environment per cluster');

  const c = await onboard(tenants[2]!);
  assert.equal(c.state, 'failed');
  assert.match(c.error ?? '', /no cluster can take .*not enough CPU capacity \(8 of 5 cores/);
  assert.equal(c.steps.find((s) => s.name === 'deliver')?.state ?? 'pending', 'pending', 'nothing was delivered');
});

test('an explicit cluster is kept over capacity, and the overrun is reported', async () => {
  const target = fleet.clusters[0]!.name;
  const op = await onboard(tenants[4]!, 'shared', target);
  assert.equal(op.state, 'succeeded', op.error ?? '');
  const place = op.steps.find((s) => s.name === 'place');
  assert.deepEqual(place?.output, { cluster: target, chosen: false, warnings: ['not enough CPU capacity (8 of 5 cores reserved with this environment)'] });
  assert.equal((await fleet.store.environments.get(tenants[4]!, 'prod'))?.health, 'Ready');
});
