// GPU-aware placement end to end: the engine's cluster inventory reads the GPUs of the testbed's kwok
// GPU nodes (12 per cluster), and automatic placement counts the GPUs environments' quotas reserve
// (never overcommitted). With one cluster and a blueprint whose prod quota reserves 8 GPUs, the first
// prod environment is placed and the second is refused, naming the GPUs. Nothing here needs a GPU pod:
// placement works from quotas.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../../src/domain/types.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
const tenants = [uniqueSlug('gpu-a'), uniqueSlug('gpu-b')];

function gpuQuotaBlueprint(): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as { spec: { environmentTypes: Record<string, { quota: Record<string, unknown> }> } };
  doc.spec.environmentTypes.prod!.quota.gpus = 8;
  return doc as unknown as Record<string, unknown>;
}

before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, { workerId: 'gpu-1', env: { FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '1s', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  client = api(serve.url, fleet.adminToken);
  await prepareFleet(client, fleet.clusters.slice(0, 1), gpuQuotaBlueprint());
});

after(async () => {
  await serve?.kill('SIGTERM');
  for (const t of tenants) await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${t}-prod` }).catch(() => false);
  await fleet?.cleanup();
});

test('the inventory sees the GPU nodes; a second 8-GPU environment does not fit in 12 GPUs', async () => {
  const name = fleet.clusters[0]!.name;
  const observed = await waitFor('the inventory to read the cluster', async () => {
    const c = (await client.call<Cluster>('GET', `/v1/clusters/${name}`)).body;
    return c.capacity?.observedAt ? c.capacity : null;
  }, 30_000, 250);
  assert.equal(observed.gpus, 12, JSON.stringify(observed));

  const first = await operationDone(fleet, await onboardOne(client, tenants[0]!, { name: 'prod', type: 'prod' }));
  assert.equal(first.state, 'succeeded', first.error ?? '');
  assert.equal((await fleet.store.environments.get(tenants[0]!, 'prod'))?.placement.cluster, name);

  const second = await operationDone(fleet, await onboardOne(client, tenants[1]!, { name: 'prod', type: 'prod' }));
  assert.equal(second.state, 'failed');
  assert.match(second.error ?? '', /not enough GPUs \(16 of 12 reserved with this environment\)/);
});
