// The GitOps driver writes Secrets (and their Namespace) straight to the cluster, next to the Git
// commit. Those writes go through the engine's one fenced client like every other: a worker whose
// lease was taken over writes nothing, neither to the cluster nor to Git. Real queue on PostgreSQL
// (the takeover is a real second claim; the first worker learns it from a refused heartbeat), the
// real GitOps driver and git, testbed cluster fp-1; asserted on the cluster.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Claim } from '../../src/domain/ports/queue.ts';
import { LeaseLostError } from '../../src/domain/errors.ts';
import type { Environment } from '../../src/domain/types.ts';
import { driverContext, type EngineDeps, type StepEnv } from '../../src/engine/context.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { engineConnections } from '../../src/engine/index.ts';
import { LeaseKeeper, heartbeatEvery } from '../../src/engine/lease.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { setupFleet, uniqueSlug, type Fleet } from './engine.fixture.ts';
import { makeRevision } from './gitops-support.ts';

let fleet: Fleet;
const tenant = uniqueSlug('fence');
const namespace = `${tenant}-prod`;
const LEASE_MS = 30_000;

before(async () => {
  fleet = await setupFleet();
  const c = fleet.clusters[0]!;
  await fleet.store.clusters.upsert({ name: c.name, provider: 'local', region: 'local', labels: {}, role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
  await fleet.store.tenants.create({ slug: tenant, name: tenant, tier: 'shared', channel: 'saas', labels: {} });
  await fleet.store.environments.create({
    tenant, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: c.name, namespace },
    delivery: 'gitops', selfHeal: false, desiredRevision: null, appliedRevision: null, lastGoodRevision: null, health: 'Progressing', conditions: [],
  });
});

after(async () => {
  await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch(() => false);
  await fleet?.cleanup();
});

/** What a worker holding `claimed` runs a step with (the parts driverContext reads). */
function stepEnv(deps: EngineDeps, claimed: Claim, keeper: LeaseKeeper): StepEnv {
  return {
    deps, op: claimed.operation, claimed,
    signal: keeper.signal, assertLease: () => keeper.assertHeld(), log: deps.logger, outputs: {}, attempt: 1, channel: 'saas',
  };
}

test('a GitOps Secret write after a lost lease is refused: nothing reaches the cluster or the repo', async () => {
  const { store } = fleet;
  const clock = new ManualClock();
  const deps = {
    store, connections: engineConnections(store), drivers: {}, logger: pino({ level: 'silent' }), now: () => new Date(), clock,
    config: { workerId: 'worker-a' },
  } as unknown as EngineDeps;
  const { operation } = await store.operations.create({ kind: 'onboard', tenant, environment: 'prod', params: {}, steps: [], idempotencyKey: null, requestId: null });
  const first = await store.queue.claim('worker-a', LEASE_MS);
  assert.equal(first?.operation.id, operation.id);
  const keeper = new LeaseKeeper(first!, { leaseMs: LEASE_MS, claimSentAt: clock.monotonic() }, { clock }).start();

  // Worker A stalls; its lease runs out in the database and worker B takes the operation over.
  await store.db.query("UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [operation.id]);
  const second = await store.queue.claim('worker-b', LEASE_MS);
  assert.equal(second?.operation.id, operation.id, 'taken over');
  // A's next heartbeat is refused by the database: A knows it lost the lease.
  const lost = once(keeper.signal, 'abort');
  await clock.advance(heartbeatEvery(LEASE_MS));
  await lost;
  assert.equal(keeper.lost, true);

  // A still goes on to deliver a revision with a Secret through the GitOps driver.
  const env = (await store.environments.get(tenant, 'prod')) as Environment;
  const revision = makeRevision({ tenant, environment: 'prod', namespace, version: '1.0.0', withSecret: true });
  const driver = createGitopsDriver({ dataDir: fleet.db.dataDir });
  const ctx = await driverContext(stepEnv(deps, first!, keeper), env);
  await assert.rejects(driver.deliver(ctx, revision), (err: unknown) => err instanceof LeaseLostError && /lease lost/.test(err.message));
  keeper.stop();

  const kube = fleet.clusters[0]!.client();
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'web-db' }), null, 'no Secret on the cluster');
  assert.equal(await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }), null, 'not even its Namespace');
  assert.equal(existsSync(join(fleet.db.dataDir, 'git', `${tenant}.git`)), false, 'and no commit to the tenant repo');
});
