// Work queued through one `serve` process wakes the idle workers of another at once (PostgreSQL
// NOTIFY from the operations insert trigger; the engine LISTENs). Worker process A polls only every
// 30-90 s here, so an onboarding posted to the API-only process B finishing well inside that shows the
// wake-up, not the poll.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, startServe, uniqueSlug, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
const procs: ServeProcess[] = [];
const tenant = uniqueSlug('wake');

before(async () => {
  fleet = await setupFleet();
});

after(async () => {
  for (const p of procs) await p.kill('SIGTERM');
  await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-dev` }).catch(() => false);
  await fleet?.cleanup();
});

test('an operation queued through another process is picked up without waiting for a poll', async () => {
  const worker = await startServe(fleet, { workerId: 'wake-a', env: { FLEETPLANE_POLL_MS: '60000', FLEETPLANE_WORKER_CONCURRENCY: '2', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  procs.push(worker);
  const front = await startServe(fleet, { workerId: 'wake-b', env: { FLEETPLANE_WORKERS: '0', FLEETPLANE_RECONCILE_INTERVAL: '0' } });
  procs.push(front);
  const client = api(front.url, fleet.adminToken);
  await prepareFleet(client, fleet.clusters.slice(0, 1));
  await sleep(1500); // A's workers have found the queue empty and gone to sleep for 30 s or more

  const posted = Date.now();
  const id = await onboardOne(client, tenant, { name: 'dev', type: 'dev', cluster: fleet.clusters[0]!.name });
  const done = await operationDone(fleet, id, 25_000, 200);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const runs = await fleet.store.queue.stepRuns(id);
  assert.ok(runs.length > 0 && runs.every((x) => x.workerId === 'wake-a'), 'run by the worker process, not the API-only one');
  const firstClaim = Math.min(...runs.map((x) => Date.parse(x.startedAt)));
  // A poll would have come 30 s or more after the workers went idle; the wake-up came with the insert.
  assert.ok(firstClaim - posted < 20_000, `claimed ${firstClaim - posted} ms after the POST`);
});
