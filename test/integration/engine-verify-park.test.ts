// Verify parks instead of holding a worker: an environment whose web pods take 5 s to pass their
// readiness probe (the testbed's kwok stages honour initialDelaySeconds like a kubelet) is checked
// in short holds, released between checks, and still ends Ready with one successful verify run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Operation, OperationStep } from '../../src/domain/types.ts';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, slowStartingBlueprint, startServe, uniqueSlug, waitFor, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
let client: Api;
const tenant = uniqueSlug('park');

before(async () => {
  fleet = await setupFleet();
  serve = await startServe(fleet, { workerId: 'park-1', env: { FLEETPLANE_VERIFY_HOLD: '300ms', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  client = api(serve.url, fleet.adminToken);
  await prepareFleet(client, fleet.clusters.slice(0, 1), slowStartingBlueprint());
});

after(async () => {
  await serve?.kill('SIGTERM');
  await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-prod` }).catch(() => false);
  await fleet?.cleanup();
});

test('a slow-starting rollout is verified in parked checks and ends Ready without using up attempts', async () => {
  const id = await onboardOne(client, tenant, { name: 'prod', type: 'prod', cluster: fleet.clusters[0]!.name });

  // While the pods start, the API shows the operation back in the queue with verify waiting and why.
  // (Park writes both in one transaction; a re-claim may show it running again, so wait for a parked snapshot.)
  const seen = await waitFor('verify parked', async () => {
    const op = (await client.call<Operation>('GET', `/v1/operations/${id}`)).body;
    const verify = op.steps.find((s) => s.name === 'verify');
    return verify?.state === 'waiting' && op.state === 'pending' ? { op, verify } : null;
  }, 60_000, 100);
  assert.equal(seen.op.state, 'pending');
  assert.match(seen.verify.message ?? '', /Deployment web/);
  assert.ok(seen.verify.waitingSince && (seen.verify.waits ?? 0) >= 1, JSON.stringify(seen.verify));

  const done = await operationDone(fleet, id);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  assert.equal(done.attempts, 1, 'parking gives the claim back: no attempt used up');
  const verify = done.steps.find((s) => s.name === 'verify') as OperationStep;
  assert.equal(verify.attempts, 1, 'every check belonged to the first verify attempt');
  assert.ok(Number(verify.output?.checks) >= 2, JSON.stringify(verify));

  const runs = (await fleet.store.queue.stepRuns(id)).filter((x) => x.step === 'verify');
  assert.ok(runs.filter((x) => x.state === 'waiting').length >= 1, JSON.stringify(runs));
  assert.equal(runs.filter((x) => x.state === 'succeeded').length, 1);
  assert.deepEqual(runs.filter((x) => !x.finishedAt), [], 'every parked run was closed');
  const env = await fleet.store.environments.get(tenant, 'prod');
  assert.equal(env?.health, 'Ready');
});
