// A cluster's real kube-apiserver process stopped (issue #16 "Done means"), on both stores, through a
// real `fleetplane serve`. The cluster is this file's own testbed cluster
// (FLEETPLANE_TEST_OUTAGE_CLUSTER, default fp-16: created when absent, removed at the end; fp-1..3 are
// never stopped, the testbed refuses it), registered beside fp-1.
//
// 1. 30 environments are onboarded onto it and its API server process is stopped mid-onboarding
//    (etcd, controller manager, scheduler and kwok keep running; the controller manager and scheduler
//    restart when it is back, as leader-elected ones would). serve's heartbeat (every 2 s, bound
//    FLEETPLANE_CLUSTER_UNAVAILABLE_AFTER=10s instead of 90 s, so the test does not wait minutes)
//    marks it Suspect, then Unavailable: waited on as a condition, never timed; the recorded health
//    is checked to have waited the bound. New environments then go to fp-1. The steps that cannot
//    reach it park ("is Unavailable: waiting for it to return") instead of using up attempts. The
//    API server is started again: every onboarding succeeds, none failed for good, and nothing was
//    applied twice: one operation and one revision per environment, and on the cluster each object
//    carries that revision at generation 1 with one Apply entry of Fleetplane's field manager.
// 2. The failover loop inside serve (FLEETPLANE_FAILOVER=hybrid=on:2, interval 1 s): hybrid-tier
//    environments on the cluster are evacuated to fp-1 after its API server is stopped, each Ready
//    there, RTO per environment from the evacuation record; the shared-tier ones of (1) stay (the
//    policy is per tier). Then its API server is started again: each moved environment's copy
//    there is removed by a reclaim operation (engine/reclaim.ts), the never-moved ones stay.
// Times are printed (OUTAGE / FAILOVER lines), not asserted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../../src/adapters/kube/index.ts';
import type { Evacuation } from '../../src/domain/evacuation.ts';
import type { ClusterHealth, KubeObject } from '../../src/domain/types.ts';
import { ensureTestbed, startApiServer, stopApiServer, testbedDown } from '../../testbed/index.ts';
import { BACKENDS, BLUEPRINT } from '../helpers/api-harness.ts';
import { api, publish, setupFleet, startServe, uniqueSlug, type Api, type Fleet, type ServeProcess } from './engine.fixture.ts';

const NAME = process.env.FLEETPLANE_TEST_OUTAGE_CLUSTER ?? 'fp-16';
const COUNT = Number(process.env.FLEETPLANE_TEST_OUTAGE_COUNT ?? 30);
const FAILOVER_COUNT = Number(process.env.FLEETPLANE_TEST_FAILOVER_COUNT ?? 5);
const BOUND_MS = 10_000;
const LIMIT_MS = 15 * 60_000;

interface Step { name: string; state: string; attempts: number; message?: string; error?: string; startedAt?: string; finishedAt?: string }
interface Op { id: string; kind: string; state: string; tenant: string; error?: string; steps: Step[] }
interface Env { health: string; placement: { cluster: string; namespace: string }; appliedRevision: string | null }

let own: { apiServer: string; kubeconfig: string };
let shared: { name: string; apiServer: string; kubeconfig: string };

/** The condition's value once it holds; polls at `everyMs` up to `limitMs` (generous: the machine is shared). */
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, limitMs = LIMIT_MS, everyMs = 500): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

const seconds = (from: number | string, to: number | string = Date.now()) => +(((typeof to === 'string' ? Date.parse(to) : to) - (typeof from === 'string' ? Date.parse(from) : from)) / 1000).toFixed(1);

before(async () => {
  assert.ok(!['fp-1', 'fp-2', 'fp-3'].includes(NAME), 'the outage cluster must be one of this test\'s own, not a shared one');
  // A stopped API server left by an interrupted run is started again by ensureTestbed (the cluster restarts on its data).
  const statuses = await ensureTestbed({ names: [NAME, 'fp-1'], buildRest: false, log: () => undefined });
  const mine = statuses.find((s) => s.name === NAME)!;
  const fp1 = statuses.find((s) => s.name === 'fp-1')!;
  own = { apiServer: mine.apiServer, kubeconfig: mine.kubeconfig };
  shared = { name: fp1.name, apiServer: fp1.apiServer, kubeconfig: fp1.kubeconfig };
}, { timeout: 60 * 60_000 });

after(async () => {
  // Back up in any case (a failed assertion may leave it stopped), then gone if this file made it.
  await startApiServer(NAME).catch(() => undefined);
  if (process.env.FLEETPLANE_TEST_OUTAGE_KEEP !== '1') await testbedDown([NAME]).catch(() => undefined);
});

for (const backend of BACKENDS) {
  describe(`a stopped kube-apiserver (${backend})`, { timeout: 60 * 60_000 }, () => {
    let fleet: Fleet;
    let serve: ServeProcess | undefined;
    let client: Api;
    let dataDir: string | undefined;
    const run = uniqueSlug('x').slice(2, 6);
    const slugs = Array.from({ length: COUNT }, (_, i) => `h16o${backend.slice(0, 1)}${run}-${i}`);
    const later = Array.from({ length: 3 }, (_, i) => `h16o${backend.slice(0, 1)}${run}-new${i}`);
    const hybrid = Array.from({ length: FAILOVER_COUNT }, (_, i) => `h16o${backend.slice(0, 1)}${run}-fo${i}`);
    const base = {
      FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_RATE_LIMIT: '0', FLEETPLANE_VERIFY_TIMEOUT: '10m', FLEETPLANE_WORKER_CONCURRENCY: '8',
      FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '2s', FLEETPLANE_CLUSTER_UNAVAILABLE_AFTER: `${BOUND_MS / 1000}s`,
    };
    const storeEnv = (): Record<string, string> => (backend === 'embedded' ? { FLEETPLANE_DATABASE_URL: '', FLEETPLANE_DATA_DIR: dataDir! } : {});

    before(async () => {
      fleet = await setupFleet();
      if (backend === 'embedded') dataDir = await mkdtemp(path.join(tmpdir(), 'fp-outage-'));
    });

    after(async () => {
      await serve?.kill('SIGTERM');
      // On both clusters: a kept cluster (FLEETPLANE_TEST_OUTAGE_KEEP=1) must not fill up run after run.
      const namespaces = [...slugs, ...later, ...hybrid].map((s) => ({ apiVersion: 'v1', kind: 'Namespace', name: `${s}-prod` }));
      for (const kubeconfig of [shared.kubeconfig, own.kubeconfig]) {
        await KubeClient.fromKubeconfig({ path: kubeconfig }).deleteAll(namespaces, { concurrency: 6, propagationPolicy: 'Background' }).catch(() => undefined);
      }
      await fleet?.cleanup();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    const health = async (): Promise<ClusterHealth | undefined> => (await client.call<{ health?: ClusterHealth }>('GET', `/v1/clusters/${NAME}`)).body.health;
    const opsOf = async (ids: string[]): Promise<Op[]> => Promise.all(ids.map(async (id) => (await client.call<Op>('GET', `/v1/operations/${id}`)).body));
    const onboard = async (slug: string, tier: string, cluster?: string): Promise<string> => {
      const r = await client.call<{ operations: Array<{ id: string }> }>('POST', '/v1/tenants', {
        slug, name: slug, tier, environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', ...(cluster ? { cluster } : {}) }],
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.operations[0]!.id;
    };

    test(`${COUNT} onboardings, the API server process stopped midway: Unavailable after the bound, new ones elsewhere, all resume and succeed once it is back, nothing applied twice`, async (t) => {
      serve = await startServe(fleet, { workerId: `h16o-${run}`, env: { ...base, ...storeEnv() } });
      client = api(serve.url, fleet.adminToken);
      for (const c of [{ name: NAME, ...own }, shared]) {
        const r = await client.call('POST', '/v1/clusters', { name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
        assert.ok(r.status < 300, JSON.stringify(r.body));
      }
      await publish(client, BLUEPRINT);
      await until(`${NAME} Available by its heartbeat`, async () => (await health())?.state === 'Available');

      const t0 = Date.now();
      const ids: string[] = [];
      for (const slug of slugs) ids.push(await onboard(slug, 'shared', NAME));
      // Mid-onboarding: some have applied objects on the cluster, at least a third have not finished.
      await until('onboarding under way', async () => {
        const ops = await opsOf(ids);
        const applying = ops.filter((o) => o.steps.some((s) => (s.name === 'apply' || s.name === 'deliver') && s.state !== 'pending')).length;
        const done = ops.filter((o) => o.state === 'succeeded').length;
        return applying > 0 && done <= COUNT - Math.ceil(COUNT / 3);
      }, LIMIT_MS, 100);
      const stoppedAt = Date.now();
      // Killed at once (no graceful drain), as a crashed control plane would be.
      await stopApiServer(NAME, { graceMs: 0 });
      const atStop = await opsOf(ids);
      const doneAtStop = atStop.filter((o) => o.state === 'succeeded').length;
      assert.ok(doneAtStop < COUNT, `some onboardings were still under way when it stopped (${doneAtStop} of ${COUNT} done)`);

      const down = await until(`${NAME} Unavailable`, async () => {
        const h = await health();
        return h?.state === 'Unavailable' ? h : null;
      });
      const unavailableAt = Date.now();
      // What the heartbeat recorded: failing since a probe after the stop, Unavailable only once the bound had passed.
      assert.equal(down.reason, 'Unreachable');
      assert.ok(Date.parse(down.failingSince!) >= stoppedAt - 1000, `failing since ${down.failingSince}, stopped at ${new Date(stoppedAt).toISOString()}`);
      assert.ok(Date.parse(down.since) - Date.parse(down.failingSince!) >= BOUND_MS, `Unavailable at ${down.since}, failing since ${down.failingSince}: not before the ${BOUND_MS / 1000} s bound`);
      assert.match(down.message, /bound 10s/);

      // New environments go elsewhere while it is down.
      const laterIds: string[] = [];
      for (const slug of later) laterIds.push(await onboard(slug, 'shared'));
      const laterOps = await until('the new onboardings', async () => {
        const ops = await opsOf(laterIds);
        return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
      });
      assert.deepEqual(laterOps.map((o) => o.state), later.map(() => 'succeeded'), JSON.stringify(laterOps.map((o) => o.error)));
      for (const slug of later) assert.equal((await client.call<Env>('GET', `/v1/environments/${slug}/prod`)).body.placement.cluster, shared.name, `${slug} placed elsewhere`);

      // The ones against it wait (parked on the Unavailable cluster), none fails.
      const parked = await until('a step parked on the Unavailable cluster', async () => {
        const ops = await opsOf(ids);
        assert.deepEqual(ops.filter((o) => o.state === 'failed').map((o) => `${o.tenant}: ${o.error}`), [], 'nothing fails while it is down');
        return ops.flatMap((o) => o.steps).find((s) => s.state === 'waiting' && new RegExp(`cluster ${NAME} is Unavailable`).test(s.message ?? '')) ?? null;
      });
      const pendingAtRestart = (await opsOf(ids)).filter((o) => o.state !== 'succeeded').length;
      assert.ok(pendingAtRestart > 0, 'some onboardings were still waiting on the cluster when it came back');
      const restartAt = Date.now();
      await startApiServer(NAME);
      const upAt = Date.now();

      const ops = await until('every onboarding finished', async () => {
        const all = await opsOf(ids);
        return all.every((o) => o.state === 'succeeded' || o.state === 'failed') ? all : null;
      }, LIMIT_MS, 1000);
      const allDoneAt = Date.now();
      assert.deepEqual(ops.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}: ${o.state} ${o.error}`), [], 'every onboarding succeeded');
      assert.equal((await until(`${NAME} Available again`, async () => ((await health())?.state === 'Available' ? 'ok' : null))), 'ok');

      // Nothing applied twice: from the store (through the API) and from the cluster.
      const kube = KubeClient.fromKubeconfig({ path: own.kubeconfig });
      let objects = 0;
      for (const slug of slugs) {
        const env = (await client.call<Env>('GET', `/v1/environments/${slug}/prod`)).body;
        assert.equal(env.health, 'Ready', slug);
        assert.equal(env.placement.cluster, NAME);
        const mine = (await client.call<{ items: Op[] }>('GET', `/v1/operations?tenant=${slug}&limit=20`)).body.items;
        assert.deepEqual(mine.map((o) => o.kind), ['onboard'], `${slug}: one operation`);
        const revisions = (await client.call<{ items: Array<{ id: string }> }>('GET', `/v1/environments/${slug}/prod/revisions`)).body.items;
        assert.deepEqual(revisions.map((r) => r.id), [env.appliedRevision], `${slug}: one revision, the applied one`);
        for (const kind of ['Deployment', 'Service', 'ConfigMap'] as const) {
          const apiVersion = kind === 'Deployment' ? 'apps/v1' : 'v1';
          const live = (await kube.list(apiVersion, kind, { namespace: env.placement.namespace })).filter((o) => o.metadata.labels?.['fleetplane.io/revision']);
          for (const o of live as Array<KubeObject & { metadata: { generation?: number; managedFields?: Array<{ manager: string; operation: string }> } }>) {
            objects++;
            assert.equal(o.metadata.labels?.['fleetplane.io/revision'], env.appliedRevision, `${slug} ${kind}/${o.metadata.name}: the one revision`);
            if (kind === 'Deployment') assert.equal(o.metadata.generation, 1, `${slug} Deployment/${o.metadata.name}: its spec written once`);
            assert.equal(o.metadata.managedFields?.filter((m) => m.manager === 'fleetplane' && m.operation === 'Apply').length, 1, `${slug} ${kind}/${o.metadata.name}: one Apply entry`);
          }
        }
      }
      assert.ok(objects >= COUNT * 2, `the objects were read from the cluster (${objects})`);
      const attempts = ops.map((o) => o.steps.reduce((n, s) => n + s.attempts, 0));
      const retried = ops.filter((o) => o.steps.some((s) => s.attempts > 1 || s.state === 'waiting')).length;
      const report = {
        backend, environments: COUNT, succeededBeforeStop: doneAtStop, pendingAtRestart, boundSeconds: BOUND_MS / 1000,
        stopToUnavailableSeconds: seconds(stoppedAt, unavailableAt), recordedFailingToUnavailableSeconds: seconds(down.failingSince!, down.since),
        outageSeconds: seconds(stoppedAt, upAt), restartSeconds: seconds(restartAt, upAt), backToAllSucceededSeconds: seconds(upAt, allDoneAt),
        firstParkedStep: parked.name, stepAttemptsTotal: attempts.reduce((a, b) => a + b, 0), operationsThatRetriedOrParked: retried,
        newEnvironmentsOn: shared.name, objectsChecked: objects, totalSeconds: seconds(t0, allDoneAt),
      };
      t.diagnostic(JSON.stringify(report));
      console.log(`OUTAGE ${JSON.stringify(report)}`);
    });

    test('the failover loop inside serve evacuates the hybrid-tier environments of the stopped cluster; RTO per environment', async (t) => {
      await serve?.kill('SIGTERM');
      serve = await startServe(fleet, { workerId: `h16f-${run}`, env: { ...base, ...storeEnv(), FLEETPLANE_FAILOVER: 'hybrid=on:2', FLEETPLANE_FAILOVER_INTERVAL: '1s', FLEETPLANE_FAILOVER_CONCURRENCY: '4', FLEETPLANE_EVACUATION_INTERVAL: '500ms' } });
      client = api(serve.url, fleet.adminToken);
      await until(`${NAME} Available`, async () => (await health())?.state === 'Available');
      const ids: string[] = [];
      for (const slug of hybrid) ids.push(await onboard(slug, 'hybrid', NAME));
      const onboarded = await until('the hybrid onboardings', async () => {
        const ops = await opsOf(ids);
        return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
      });
      assert.deepEqual(onboarded.map((o) => o.state), hybrid.map(() => 'succeeded'), JSON.stringify(onboarded.map((o) => o.error)));
      const policy = (await client.call<{ policy: Record<string, { mode: string; afterMs: number }> }>('GET', '/v1/failover')).body.policy;
      assert.deepEqual(policy, { hybrid: { mode: 'on', afterMs: 2000 } });

      const stoppedAt = Date.now();
      await stopApiServer(NAME, { graceMs: 0 });
      let evacuation: Evacuation;
      try {
        const found = await until('a failover evacuation of the cluster', async () => {
          const items = (await client.call<{ items: Evacuation[] }>('GET', '/v1/evacuations?limit=100')).body.items;
          return items.find((e) => e.trigger === 'failover' && e.clusters.includes(NAME)) ?? null;
        });
        const createdAt = Date.now();
        evacuation = await until('the failover evacuation to finish', async () => {
          const e = (await client.call<Evacuation>('GET', `/v1/evacuations/${found.id}`)).body;
          return e.state !== 'running' ? e : null;
        }, LIMIT_MS, 1000);
        const doneAt = Date.now();
        assert.equal(evacuation.state, 'succeeded', JSON.stringify(evacuation.moves));
        assert.deepEqual(evacuation.moves.map((m) => m.tenant).sort(), [...hybrid].sort(), 'the hybrid tier only: the shared environments stay');
        const failover = (await client.call<{ decisions: Array<{ cluster: string; evacuate: string[] }> }>('GET', '/v1/failover')).body;
        for (const m of evacuation.moves) {
          assert.equal(m.state, 'succeeded');
          assert.equal(m.to, shared.name);
          assert.equal(typeof m.rtoSeconds, 'number');
          assert.ok(Date.parse(m.readyAt!) >= Date.parse(evacuation.lostAt!), `${m.tenant}: Ready after the loss`);
          const env = (await client.call<Env>('GET', `/v1/environments/${m.tenant}/prod`)).body;
          assert.equal(env.placement.cluster, shared.name);
          assert.equal(env.health, 'Ready');
          const op = (await client.call<Op>('GET', `/v1/operations/${m.operation}`)).body;
          assert.match(String(op.steps.find((s) => s.name === 'move-remove')?.state), /succeeded|skipped/);
        }
        for (const slug of slugs.slice(0, 3)) assert.equal((await client.call<Env>('GET', `/v1/environments/${slug}/prod`)).body.placement.cluster, NAME, `${slug} (shared tier) not moved`);
        const rto = evacuation.moves.map((m) => m.rtoSeconds!).sort((a, b) => a - b);
        const report = {
          backend, environments: evacuation.moves.length, bound: `${BOUND_MS / 1000}s`, threshold: '2s', lostAt: evacuation.lostAt,
          stopToEvacuationSeconds: seconds(stoppedAt, createdAt), stopToAllReadyElsewhereSeconds: seconds(stoppedAt, doneAt),
          rtoSeconds: { min: rto[0], median: rto[Math.floor(rto.length / 2)], max: rto[rto.length - 1] },
          perEnvironment: Object.fromEntries(evacuation.moves.map((m) => [m.tenant, m.rtoSeconds])), decisions: failover.decisions.length,
        };
        t.diagnostic(JSON.stringify(report));
        console.log(`FAILOVER ${JSON.stringify(report)}`);
        for (const m of evacuation.moves) assert.equal(m.leftOn, NAME, `${m.tenant}: its copy on the lost cluster is recorded as left there`);
      } finally {
        await startApiServer(NAME);
      }

      // The lost cluster answers again: what it still holds of the moved environments would run beside
      // their new copies, so each gets a reclaim operation that removes it; the shared-tier environments
      // that were never moved (other tenants on the same cluster) are not touched.
      const backAt = Date.now();
      await until(`${NAME} Available again`, async () => (await health())?.state === 'Available');
      const reclaimed = await until('a reclaim operation per moved environment, finished', async () => {
        const e = (await client.call<Evacuation>('GET', `/v1/evacuations/${evacuation.id}`)).body;
        if (!e.moves.every((m) => m.reclaimOperation)) return null;
        const ops = await opsOf(e.moves.map((m) => m.reclaimOperation!));
        return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
      });
      assert.deepEqual(reclaimed.map((o) => [o.kind, o.state]), hybrid.map(() => ['reclaim', 'succeeded']), JSON.stringify(reclaimed.map((o) => o.error)));
      const kube = KubeClient.fromKubeconfig({ path: own.kubeconfig });
      const onLost = async (slug: string) => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: `${slug}-prod` });
      for (const slug of hybrid) {
        const ns = await onLost(slug);
        assert.ok(!ns || ns.metadata.deletionTimestamp, `${slug}-prod is removed from ${NAME}`);
        assert.equal((await client.call<Env>('GET', `/v1/environments/${slug}/prod`)).body.placement.cluster, shared.name, `${slug} still placed on ${shared.name}`);
      }
      for (const slug of slugs.slice(0, 3)) {
        const ns = await onLost(slug);
        assert.ok(ns && !ns.metadata.deletionTimestamp, `${slug}-prod (another tenant, never moved) is untouched on ${NAME}`);
      }
      console.log(`RECLAIM ${JSON.stringify({ backend, environments: reclaimed.length, backToReclaimedSeconds: seconds(backAt) })}`);
    });
  });
}
