// A parked or retrying operation is re-claimed when it is due, not at the next idle poll: the worker
// that parks it arms a timer that wakes its process's idle slots (WorkerPool.wakeAfter). Workers
// here poll only every 30-90 s, so a slow-starting environment whose verify parks several times
// finishing well inside one poll interval shows the timed wake-ups.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, onboardOne, operationDone, prepareFleet, setupFleet, slowStartingBlueprint, startServe, uniqueSlug, type Fleet, type ServeProcess } from './engine.fixture.ts';

let fleet: Fleet;
let serve: ServeProcess;
const tenant = uniqueSlug('wake-park');

before(async () => {
  fleet = await setupFleet();
});

after(async () => {
  await serve?.kill('SIGTERM');
  await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-prod` }).catch(() => false);
  await fleet?.cleanup();
});

test('a parked verify is re-checked when due although the idle workers poll only every 30 s or more', async () => {
  serve = await startServe(fleet, {
    workerId: 'wake-park', env: { FLEETPLANE_POLL_MS: '60000', FLEETPLANE_VERIFY_HOLD: '200ms', FLEETPLANE_WORKER_CONCURRENCY: '2', FLEETPLANE_RECONCILE_INTERVAL: '0' },
  });
  const client = api(serve.url, fleet.adminToken);
  await prepareFleet(client, fleet.clusters.slice(0, 1), slowStartingBlueprint(4));

  const posted = Date.now();
  const id = await onboardOne(client, tenant, { name: 'prod', type: 'prod', cluster: fleet.clusters[0]!.name });
  const done = await operationDone(fleet, id, 60_000, 200);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const verifyRuns = (await fleet.store.queue.stepRuns(id)).filter((r) => r.step === 'verify');
  assert.ok(verifyRuns.filter((r) => r.state === 'waiting').length >= 1, `verify parked at least once: ${JSON.stringify(verifyRuns)}`);
  // After a park every slot is idle and would sleep 30 s or more before claiming again.
  const took = Date.parse(done.finishedAt ?? '') - posted;
  assert.ok(took < 25_000, `onboarding took ${took} ms; a re-check at the next poll would take 30 s or more`);
});
