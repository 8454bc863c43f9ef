// Evacuating a real testbed cluster (issue #16, docs/clusters.md "Move and evacuate"), on both
// stores: FLEETPLANE_TEST_EVACUATE_COUNT environments (default 10; the issue asks 50) are onboarded
// on fp-1 through the API and an in-process engine, then POST /v1/clusters/fp-1:evacuate moves them
// with at most FLEETPLANE_TEST_EVACUATE_CONCURRENCY (default 4) in flight. Asserted from recorded
// timestamps: each is Ready on its new cluster before its removal from fp-1 begins, and never more
// moves overlap than the limit. A watcher polls the three clusters the whole time: the singleton
// component (`leader`, singleton: true) never has pods on two clusters in one sample (targets read
// before the source, so a sample showing both is a real overlap), and the web component always has
// a Ready pod somewhere (source read before the targets, so a sample showing none is a real gap).
// web has 2 replicas and a PodDisruptionBudget: each move's record says it was met on the target
// before the source copy went; a third test moves an environment whose budget the target cannot meet
// (minAvailable 3 of 2): the removal waits, the source copy keeps serving, until the operator lowers it.
// Then a failover: fp-2 is marked Unavailable in the store (the testbed's processes are never
// stopped), the failover pass evacuates it, and each move's RTO (lost -> Ready elsewhere) is
// reported. Everything this file creates (tenants h16-…, their namespaces) is removed at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import type { Evacuation } from '../../src/domain/evacuation.ts';
import { progressOf } from '../../src/engine/evacuations.ts';
import type { KubeObject, Operation } from '../../src/domain/types.ts';
import { BACKENDS, harness, storeHandle, type Harness } from '../helpers/api-harness.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { maxOverlap } from '../helpers/intervals.ts';

const COUNT = Number(process.env.FLEETPLANE_TEST_EVACUATE_COUNT ?? 10);
const CONCURRENCY = Number(process.env.FLEETPLANE_TEST_EVACUATE_CONCURRENCY ?? 4);
const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });

/** web: 2 replicas and a PodDisruptionBudget (minAvailable `minAvailable`); leader: a singleton. */
function blueprint(name = 'h16-move', minAvailable = 1): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as { metadata: { name: string }; spec: { components: Array<Record<string, unknown>> } };
  doc.metadata.name = name;
  doc.spec.components = [
    { ...doc.spec.components.find((c) => c.name === 'web')!, environmentTypes: { dev: { replicas: 2, scaling: null, disruption: { minAvailable } } } },
    { name: 'leader', kind: 'worker', image: { repository: 'worker' }, singleton: true },
  ];
  return doc as unknown as Record<string, unknown>;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const isReady = (p: KubeObject) => ((p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Samples pods of our namespaces on every cluster until stopped (see the file comment for the read order). */
function watcher(clusters: TestCluster[], source: string, namespaces: Set<string>) {
  const targets = clusters.filter((c) => c.name !== source);
  const src = clusters.find((c) => c.name === source)!;
  const samples = { n: 0, singletonOverlaps: [] as string[], webGaps: [] as string[], errors: 0, leaderOnSource: new Set<string>(), leaderOnTarget: new Set<string>() };
  let stop = false;
  const pods = async (c: TestCluster, name: string) => (await c.client().list('v1', 'Pod', { labelSelector: `app.kubernetes.io/name=${name}` })).filter((p) => namespaces.has(p.metadata.namespace ?? ''));
  const byNs = (list: KubeObject[], ready = false) => new Set(list.filter((p) => !ready || isReady(p)).map((p) => p.metadata.namespace!));
  const loop = (async () => {
    while (!stop) {
      try {
        const before = await Promise.all(targets.map((c) => pods(c, 'leader')));
        const [srcLeader, srcWeb] = await Promise.all([pods(src, 'leader'), pods(src, 'web')]);
        const afterWeb = await Promise.all(targets.map((c) => pods(c, 'web')));
        const onTarget = new Set(before.flatMap((l) => [...byNs(l)]));
        for (const ns of byNs(srcLeader)) if (onTarget.has(ns)) samples.singletonOverlaps.push(`${ns} @${new Date().toISOString()}`);
        for (const ns of byNs(srcLeader)) samples.leaderOnSource.add(ns);
        for (const ns of onTarget) samples.leaderOnTarget.add(ns);
        const webSomewhere = new Set([...byNs(srcWeb, true), ...afterWeb.flatMap((l) => [...byNs(l, true)])]);
        for (const ns of namespaces) if (!webSomewhere.has(ns)) samples.webGaps.push(`${ns} @${new Date().toISOString()}`);
        samples.n++;
      } catch {
        samples.errors++;
      }
      await sleep(100);
    }
  })();
  return { samples, stop: async () => { stop = true; await loop; } };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { min: s[0]!, median: q(0.5), p90: q(0.9), max: s[s.length - 1]! };
};

for (const backend of BACKENDS) {
  describe(`evacuate a testbed cluster (${backend}, ${COUNT} environments, concurrency ${CONCURRENCY})`, { timeout: 40 * 60_000 }, () => {
    let h: Harness;
    let engine: Engine;
    let clusters: TestCluster[];
    const run = randomBytes(2).toString('hex');
    const slugs = Array.from({ length: COUNT }, (_, i) => `h16-${backend.slice(0, 2)}${run}-${i}`);
    const namespaces = new Set(slugs.map((s) => `${s}-app`));

    before(async () => {
      clusters = (await getTestbed()).clusters.slice(0, 3);
      h = await harness(backend, await storeHandle(backend));
      for (const c of clusters) {
        const r = await h.req('POST', '/v1/clusters', { body: { name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      const bp = blueprint();
      assert.equal((await h.req('POST', '/v1/blueprints', { body: { name: 'h16-move', version: '1.0.0', spec: bp } })).status, 201);
      engine = await startEngine({
        store: h.store, logger, concurrency: 8, reconcileIntervalMs: 0, clusterRefreshIntervalMs: 0, hibernationIntervalMs: 0, evacuationIntervalMs: 250, pollMs: 200,
        failover: { policy: { shared: { mode: 'on', afterMs: 0 } }, intervalMs: 0, concurrency: CONCURRENCY },
      });
    });

    after(async () => {
      await engine?.stop();
      for (const c of clusters ?? []) {
        for (const ns of namespaces) await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => false);
      }
      await h?.close();
    });

    test(`onboard ${COUNT} environments on fp-1, evacuate it: each Ready on its new cluster before it is removed from fp-1, within the limit, a singleton never on two clusters`, async (t) => {
      const source = clusters[0]!.name;
      const t0 = Date.now();
      const opIds: string[] = [];
      for (const slug of slugs) {
        const r = await h.req('POST', '/v1/tenants', { body: { slug, name: slug, tier: 'shared', environments: [{ name: 'app', type: 'dev', blueprint: 'h16-move', version: '1.0.0', cluster: source }] } });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        opIds.push(r.body.operations[0].id);
      }
      engine.nudge();
      const onboarded = await until('onboarding', async () => {
        const ops = await Promise.all(opIds.map((id) => h.store.operations.get(id)));
        return ops.every((o) => o && (o.state === 'succeeded' || o.state === 'failed')) ? ops as Operation[] : null;
      }, 20 * 60_000, 1000);
      assert.deepEqual(onboarded.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}: ${o.error}`), []);
      const onboardSeconds = (Date.now() - t0) / 1000;

      const watch = watcher(clusters, source, namespaces);
      await until('a first watcher sample', async () => watch.samples.n > 0, 60_000, 100);
      const t1 = Date.now();
      const created = await h.req('POST', `/v1/clusters/${source}:evacuate`, { body: { concurrency: CONCURRENCY, reason: 'h16 test' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      let progressSeen = 0;
      const done = await until('the evacuation', async () => {
        const e = (await h.req('GET', `/v1/evacuations/${id}`)).body as Evacuation;
        progressSeen = Math.max(progressSeen, e.moves.filter((m) => m.state === 'succeeded').length);
        return e.state !== 'running' ? e : null;
      }, 30 * 60_000, 1000);
      const evacuationSeconds = (Date.now() - t1) / 1000;
      // A few more samples after the last removal.
      const n = watch.samples.n;
      await until('watcher samples after the evacuation', async () => watch.samples.n >= n + 3, 60_000, 100);
      await watch.stop();

      assert.equal(done.state, 'succeeded', JSON.stringify(done.moves.filter((m) => m.state !== 'succeeded')));
      assert.equal(done.moves.length, COUNT);
      const movedTo = new Map<string, number>();
      for (const m of done.moves) {
        assert.equal(m.state, 'succeeded');
        assert.notEqual(m.to, source);
        movedTo.set(m.to!, (movedTo.get(m.to!) ?? 0) + 1);
        const env = (await h.store.environments.get(m.tenant, m.environment))!;
        assert.equal(env.placement.cluster, m.to);
        assert.equal(env.health, 'Ready');
        assert.equal(env.conditions.find((c) => c.type === 'Moving')?.reason, 'Moved');
        // From the move's own step records: Ready on the target, then switched, then removed from the source.
        const op = (await h.store.operations.get(m.operation!))!;
        const at = (step: string, k: 'startedAt' | 'finishedAt') => Date.parse(op.steps.find((s) => s.name === step)![k]!);
        assert.ok(at('move-start-target', 'finishedAt') <= at('move-switch', 'startedAt'), `${m.tenant}: Ready before the switch`);
        assert.ok(at('move-switch', 'finishedAt') <= at('move-remove', 'startedAt'), `${m.tenant}: switched before removal`);
        assert.ok(Date.parse(m.readyAt!) <= Date.parse(m.removeStartedAt!), `${m.tenant}: readyAt ${m.readyAt} before removeStartedAt ${m.removeStartedAt}`);
        assert.ok(at('move-stop-source', 'finishedAt') <= at('move-start-target', 'startedAt'), `${m.tenant}: singleton stopped on the source before it starts on the target`);
        assert.equal((op.steps.find((s) => s.name === 'move-stop-source')!.output as { singletons: number }).singletons, 1);
        // The web PodDisruptionBudget was met on the target before the source copy went, and the source's allowance read.
        assert.match(String(m.disruptionBudgets), new RegExp(`^PodDisruptionBudgets met on ${m.to} \\(web [2-9]/[1-9] healthy\\) before removing from ${source}; .*on ${source}: web allowed \\d+ disruptions?$`));
      }
      assert.ok(movedTo.size >= 2, `spread over the other clusters: ${JSON.stringify([...movedTo])}`);
      const overlap = maxOverlap(done.moves.map((m) => [Date.parse(m.startedAt!), Date.parse(m.finishedAt!)]));
      assert.ok(overlap <= CONCURRENCY, `at most ${CONCURRENCY} moves at once, saw ${overlap}`);
      // Gone from the source (the namespaces are being deleted or deleted).
      for (const ns of namespaces) {
        const live = await clusters[0]!.client().get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
        assert.ok(!live || (live.metadata as { deletionTimestamp?: string }).deletionTimestamp, `${ns} is removed from ${source}`);
      }
      assert.deepEqual(watch.samples.singletonOverlaps, [], 'a singleton never had pods on two clusters');
      // Not vacuous: the watcher saw every singleton on the source before and on a target after.
      assert.equal(watch.samples.leaderOnSource.size, COUNT, 'each singleton seen on the source');
      assert.equal(watch.samples.leaderOnTarget.size, COUNT, 'each singleton seen on its target');
      assert.deepEqual(watch.samples.webGaps, [], 'the web component always had a Ready pod somewhere');
      const moveSeconds = done.moves.map((m) => (Date.parse(m.readyAt!) - Date.parse(m.startedAt!)) / 1000);
      const totalSeconds = done.moves.map((m) => (Date.parse(m.finishedAt!) - Date.parse(m.startedAt!)) / 1000);
      const report = {
        backend, environments: COUNT, concurrency: CONCURRENCY, onboardSeconds, evacuationSeconds, maxOverlap: overlap, movedTo: Object.fromEntries(movedTo),
        startToReadySeconds: stats(moveSeconds), startToRemovedSeconds: stats(totalSeconds), watcherSamples: watch.samples.n, watcherErrors: watch.samples.errors,
      };
      t.diagnostic(JSON.stringify(report));
      console.log(`EVACUATE ${JSON.stringify(report)}`);
    });

    test('failover: a cluster lost beyond the threshold is evacuated by the policy; RTO per environment (lost -> Ready elsewhere)', async (t) => {
      const lostName = clusters[1]!.name;
      const onLost = (await h.store.environments.list({ cluster: lostName, limit: 500 })).items.filter((e) => namespaces.has(`${e.tenant}-app`));
      assert.ok(onLost.length > 0, `some environments are on ${lostName}`);
      const lostAt = new Date();
      await h.store.clusters.setHealth(lostName, {
        state: 'Unavailable', reason: 'Unreachable', message: 'unreachable (injected by the test)', since: lostAt.toISOString(), failingSince: lostAt.toISOString(), consecutiveFailures: 3, lastProbeAt: lostAt.toISOString(),
      });
      try {
        // Dry run first: the plan, nothing written.
        const dry = await h.req('GET', '/v1/failover');
        assert.equal(dry.status, 200);
        const pass = await engine.failoverOnce();
        assert.equal(pass.evacuations.length, 1);
        assert.equal((await engine.failoverOnce()).evacuations[0]!.created, false, 'the same outage never evacuates twice');
        const id = pass.evacuations[0]!.id;
        const done = await until('the failover evacuation', async () => {
          const e = (await h.store.evacuations.get(id))!;
          return e.state !== 'running' ? e : null;
        }, 20 * 60_000, 1000);
        assert.equal(done.state, 'succeeded', JSON.stringify(done.moves));
        assert.equal(done.trigger, 'failover');
        assert.equal(done.moves.length, onLost.length);
        const rto = done.moves.map((m) => m.rtoSeconds!);
        for (const m of done.moves) {
          assert.equal(typeof m.rtoSeconds, 'number');
          assert.notEqual(m.to, lostName);
          const op = (await h.store.operations.get(m.operation!))!;
          assert.match(String(op.steps.find((s) => s.name === 'move-remove')!.output?.skipped), /Unavailable/, 'nothing is removed from a lost cluster');
        }
        const report = { backend, failover: lostName, environments: done.moves.length, thresholdSeconds: 0, rtoSeconds: stats(rto), perEnvironment: Object.fromEntries(done.moves.map((m) => [m.tenant, m.rtoSeconds])) };
        t.diagnostic(JSON.stringify(report));
        console.log(`FAILOVER ${JSON.stringify(report)}`);
      } finally {
        await h.store.clusters.setHealth(lostName, {
          state: 'Available', reason: 'Recovered', message: 'ok', since: new Date().toISOString(), failingSince: null, consecutiveFailures: 0, lastProbeAt: new Date().toISOString(),
        });
      }
    });

    test('a move waits on a PodDisruptionBudget the target does not meet, keeps the source copy meanwhile, and the record says so', async () => {
      const [dest, , src] = clusters;
      for (const c of clusters) await h.req('POST', `/v1/clusters/${c.name}:uncordon`, { body: {} });
      assert.equal((await h.req('POST', '/v1/blueprints', { body: { name: 'h16-pdb', version: '1.0.0', spec: blueprint('h16-pdb', 3) } })).status, 201);
      const slug = `h16-${backend.slice(0, 2)}${run}-pdb`;
      namespaces.add(`${slug}-app`);
      const r = await h.req('POST', '/v1/tenants', { body: { slug, name: slug, tier: 'shared', environments: [{ name: 'app', type: 'dev', blueprint: 'h16-pdb', version: '1.0.0', cluster: src!.name }] } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      engine.nudge();
      const onboard = await until('the onboarding', async () => {
        const o = await h.store.operations.get(r.body.operations[0].id);
        return o && (o.state === 'succeeded' || o.state === 'failed') ? o : null;
      }, 10 * 60_000, 1000);
      assert.equal(onboard.state, 'succeeded', onboard.error ?? '');
      const moved = await h.req('POST', `/v1/tenants/${slug}/environments/app:move`, { body: { to: dest!.name } });
      assert.equal(moved.status, 202, JSON.stringify(moved.body));
      const opId = (moved.body.operation?.id ?? moved.body.id) as string;
      engine.nudge();
      // minAvailable 3 of 2 replicas: never met on the target, so the removal waits.
      const waiting = await until('the removal waiting on the budget', async () => {
        const o = (await h.store.operations.get(opId))!;
        assert.notEqual(o.state, 'failed', o.error ?? '');
        return o.steps.find((x) => x.name === 'move-remove' && x.state === 'waiting') ? o : null;
      }, 10 * 60_000, 500);
      const rec = progressOf({ tenant: slug, environment: 'app', from: src!.name, to: dest!.name, explanation: '', state: 'moving', operation: opId }, waiting, null);
      assert.match(String(rec.waitingOn), new RegExp(`^waiting on PodDisruptionBudget web \\(2 of 3 healthy pods\\) on ${dest!.name}: the copy on ${src!.name} stays until it is met`));
      const ns = `${slug}-app`;
      const srcWeb = (await src!.client().list('v1', 'Pod', { namespace: ns, labelSelector: 'app.kubernetes.io/name=web' })).filter(isReady);
      assert.equal(srcWeb.length, 2, 'the source copy still serves while the removal waits');
      // The operator lowers the target's budget (as after deciding 2 of 3 will do): the removal proceeds.
      await dest!.client().apply({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: ns }, spec: { minAvailable: 1 } } as KubeObject, { fieldManager: 'h16-operator', force: true });
      const done = await until('the move', async () => {
        const o = (await h.store.operations.get(opId))!;
        return o.state === 'succeeded' || o.state === 'failed' ? o : null;
      }, 10 * 60_000, 1000);
      assert.equal(done.state, 'succeeded', done.error ?? '');
      const after = progressOf({ tenant: slug, environment: 'app', from: src!.name, to: dest!.name, explanation: '', state: 'moving', operation: opId }, done, null);
      assert.equal(after.waitingOn, undefined);
      assert.match(String(after.disruptionBudgets), new RegExp(`^PodDisruptionBudgets met on ${dest!.name} \\(web 2/1 healthy\\) before removing from ${src!.name}; waited [0-9.]+s \\([1-9][0-9]* checks?\\) for them; on ${src!.name}: web allowed 0 disruptions$`));
      console.log(`PDB-WAIT ${JSON.stringify({ backend, disruptionBudgets: after.disruptionBudgets })}`);
    });
  });
}
