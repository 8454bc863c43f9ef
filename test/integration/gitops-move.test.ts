// Moving an environment delivered through GitOps (issue #16, ADR 1030) on the REAL Argo CD of the
// testbed (Argo CD on fp-1, the environment from fp-2 to fp-3), through the API and an in-process
// engine: POST :move delivers a second Application for the target (its copy under
// environments/prod/copies/fp-3/, singletons held at zero), verifies it, holds the source's singleton
// at zero in Git (never by a scale Argo CD's selfHeal would undo), starts it in the copy, switches the
// environment's home to the copy and lets Argo CD delete the source's Application, whose resources
// finalizer prunes fp-2. A watcher samples both clusters the whole time: the singleton (`leader`)
// never has pods on both in one sample (target read before source) and `web` always has a Ready pod
// on one of them (source read before target). Then: the copy's Application is Synced+Healthy, fp-2 is
// empty of the tenant, the repo holds the ordered commits of the move, the store says fp-3, the
// driver's verify finds the right Application, re-running the switch and the removal commits nothing,
// and another tenant's Applications and AppProject (also on fp-2) were not touched. Everything this
// file creates (tenants mvg-…, their namespaces, repos) is removed at the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { canonicalJson } from '../../src/domain/canonical.ts';
import type { Environment, KubeObject, Operation } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import type { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { applicationName, copyApplicationName } from '../../src/render/gitops/index.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type GitRepoCredentials } from '../../testbed/index.ts';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { readApp, withArgoLogs } from './argocd-support.ts';
import { git, makeContext, testClusterClient } from './gitops-support.ts';

const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });
const run = randomBytes(2).toString('hex');
const tenant = `mvg-${run}`;
const other = `mvg-${run}-b`;
const namespace = `${tenant}-prod`;

/** web: 2 replicas and a PodDisruptionBudget; leader: a singleton. */
function blueprint(): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as { metadata: { name: string }; spec: { components: Array<Record<string, unknown>> } };
  doc.metadata.name = 'mvg-move';
  doc.spec.components = [
    { ...doc.spec.components.find((c) => c.name === 'web')!, environmentTypes: { dev: { replicas: 2, scaling: null, disruption: { minAvailable: 1 } } } },
    { name: 'leader', kind: 'worker', image: { repository: 'worker' }, singleton: true },
  ];
  return doc as unknown as Record<string, unknown>;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

const isReady = (p: KubeObject) => ((p.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Samples the namespace's pods on source and target until stopped (read order: see the file comment). */
function watcher(source: TestCluster, target: TestCluster) {
  const samples = { n: 0, singletonOverlaps: [] as string[], webGaps: [] as string[], errors: 0, leaderOnSource: 0, leaderOnTarget: 0 };
  let stop = false;
  const pods = async (c: TestCluster, name: string) => c.client().list('v1', 'Pod', { namespace, labelSelector: `app.kubernetes.io/name=${name}` });
  const loop = (async () => {
    while (!stop) {
      try {
        const leaderTarget = (await pods(target, 'leader')).length;
        const [leaderSource, webSource] = await Promise.all([pods(source, 'leader'), pods(source, 'web')]);
        const webTarget = await pods(target, 'web');
        if (leaderSource.length > 0 && leaderTarget > 0) samples.singletonOverlaps.push(new Date().toISOString());
        if (leaderSource.length > 0) samples.leaderOnSource++;
        if (leaderTarget > 0) samples.leaderOnTarget++;
        if (!webSource.some(isReady) && !webTarget.some(isReady)) samples.webGaps.push(new Date().toISOString());
        samples.n++;
      } catch {
        samples.errors++;
      }
      await sleep(200);
    }
  })();
  return { samples, stop: async () => { stop = true; await loop; } };
}

let h: Harness;
let engine: Engine;
let driver: GitopsDriver;
let clusters: TestCluster[];
const repos: Record<string, GitRepoCredentials> = {};
let dataDir = '';

const call = async <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => {
  const r = await h.req(method, url, body === undefined ? {} : { body });
  return { status: r.status, body: r.body as T };
};
const finished = (id: string, what: string, ms = 600_000) => until(what, async () => {
  const o = await h.store.operations.get(id);
  return o && (o.state === 'succeeded' || o.state === 'failed') ? o : null;
}, ms);
const byName = (name: string) => clusters.find((c) => c.name === name)!;
const mgmt = () => clusters[0]!.client();
const appsOf = async (t: string) => (await mgmt().list('argoproj.io/v1alpha1', 'Application', { namespace: ARGOCD_NAMESPACE, labelSelector: `fleetplane.io/tenant=${t}` }))
  .map((a) => ({ name: a.metadata.name, uid: a.metadata.uid, spec: canonicalJson(a.spec) })).sort((a, b) => (a.name < b.name ? -1 : 1));
const projectOf = async (t: string) => {
  const p = await mgmt().get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: t });
  return p ? { uid: p.metadata.uid, spec: canonicalJson(p.spec) } : null;
};

before(async () => {
  const tb = await getTestbed();
  clusters = tb.clusters.slice(0, 3);
  const argo = await argocdUp({ log: (l) => console.error(l) });
  assert.equal(argo.management.name, clusters[0]!.name, 'Argo CD runs on fp-1');
  for (const c of clusters.slice(1)) assert.ok(argo.clusters.includes(c.name), `${c.name} is registered with Argo CD`);
  for (const t of [tenant, other]) repos[t] = await argocdGitRepo(t);
  h = await harness(BACKENDS[0]!);
  for (const c of clusters) {
    const r = await h.req('POST', '/v1/clusters', { body: { name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  assert.equal((await h.req('POST', '/v1/blueprints', { body: { name: 'mvg-move', version: '1.0.0', spec: blueprint() } })).status, 201);
  dataDir = await mkdtemp('/tmp/h16g-gitops-move-');
  driver = createGitopsDriver({
    dataDir, remoteTemplate: `${pathToFileURL(dirname(repos[tenant]!.path)).href}/{tenant}.git`,
    argoTemplate: `${argo.gitURL}/{tenant}.git`, argocdNamespace: ARGOCD_NAMESPACE, argocdCluster: clusters[0]!.name,
  }, { audit: (e) => h.store.audit.append(e), repoCredentials: (t) => (repos[t] ? { username: repos[t].username, password: repos[t].password } : null) });
  engine = await startEngine({
    store: h.store, logger, workerId: `${tenant}-engine`, reconcileIntervalMs: 0, clusterRefreshIntervalMs: 0, hibernationIntervalMs: 0, evacuationIntervalMs: 0,
    verifyTimeoutMs: 240_000, gitopsVerifyTimeoutMs: 240_000, verifyAttempts: 1, pollMs: 200, drivers: { gitops: driver },
    // Failover on for the shared tier, run only when the second test asks (failoverOnce/evacuationOnce).
    failover: { policy: { shared: { mode: 'on', afterMs: 0 } }, intervalMs: 0 },
  });
});

after(async () => {
  // Offboard both tenants (Argo CD prunes, the AppProjects go), then whatever is left by label.
  for (const t of [tenant, other]) {
    const r = await h?.req('DELETE', `/v1/tenants/${t}`).catch(() => null);
    if (r?.status === 202) await finished((r.body as Operation).id, `offboard ${t}`, 300_000).catch(() => null);
  }
  await engine?.stop();
  for (const c of clusters ?? []) {
    for (const t of [tenant, other]) {
      for (const ns of await c.client().list('v1', 'Namespace', { labelSelector: `fleetplane.io/tenant=${t}` }).catch(() => [])) await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => false);
    }
  }
  for (const t of [tenant, other]) await argocdRemoveGitRepo(t).catch(() => undefined);
  await h?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('a GitOps environment moves from fp-2 to fp-3 through Git: a second Application, the singleton never on both, web never without a Ready copy, the source pruned, another tenant untouched', { timeout: 30 * 60_000 }, () => withArgoLogs(tenant, async () => {
  const [source, target] = [clusters[1]!, clusters[2]!];
  const onboard = await Promise.all([tenant, other].map(async (t) => {
    const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', { slug: t, name: t, tier: 'shared', environments: [{ name: 'prod', type: 'dev', blueprint: 'mvg-move', version: '1.0.0', delivery: 'gitops', cluster: source.name }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.operations[0]!.id;
  }));
  engine.nudge();
  for (const id of onboard) {
    const o = await finished(id, 'onboarding');
    assert.equal(o.state, 'succeeded', `${o.tenant}: ${o.error ?? ''}`);
  }
  const repo = repos[tenant]!.path;
  const before = { apps: await appsOf(other), project: await projectOf(other) };
  assert.equal(before.apps.length, 1, JSON.stringify(before.apps));
  assert.ok(before.project);

  const watch = watcher(source, target);
  await until('a first watcher sample', async () => watch.samples.n > 0, 60_000, 100);
  const t0 = Date.now();
  const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:move`, { to: target.name, reason: 'gitops move test' });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  engine.nudge();
  const done = await finished(r.body.id, 'the move');
  const moveSeconds = (Date.now() - t0) / 1000;
  const n = watch.samples.n;
  await until('watcher samples after the move', async () => watch.samples.n >= n + 3, 60_000, 100);
  await watch.stop();
  assert.equal(done.state, 'succeeded', `${done.error ?? ''} ${JSON.stringify(done.steps.map((s) => [s.name, s.state, s.error]))}`);

  // The store: placed on fp-3, Ready, the Moving condition closed.
  const env = (await call<Environment>('GET', `/v1/environments/${tenant}/prod`)).body;
  assert.equal(env.placement.cluster, target.name);
  assert.equal(env.health, 'Ready');
  assert.equal(env.conditions.find((c) => c.type === 'Moving')?.reason, 'Moved');

  // Argo CD: the copy's Application Synced+Healthy, the source's deleted.
  const copyApp = copyApplicationName(tenant, 'prod', target.name);
  const app = await until('the copy Synced+Healthy', async () => { const a = await readApp(mgmt(), copyApp); return a?.sync === 'Synced' && a.health === 'Healthy' ? a : null; }, 180_000);
  assert.equal(app.sync, 'Synced');
  assert.equal(await readApp(mgmt(), applicationName(tenant, 'prod')), null, 'Argo CD deleted the source Application');

  // fp-2: pruned (no Deployment of the tenant left, the namespace gone or going); fp-3: both components there.
  const onSource = await source.client().list('apps/v1', 'Deployment', { namespace });
  assert.deepEqual(onSource.map((d) => d.metadata.name), [], 'the source copy is pruned from fp-2');
  const ns = await source.client().get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  assert.ok(!ns || ns.metadata.deletionTimestamp, 'the namespace is removed from fp-2');
  const onTarget = await target.client().list('apps/v1', 'Deployment', { namespace });
  assert.deepEqual(onTarget.map((d) => [d.metadata.name, (d.spec as { replicas?: number }).replicas]).sort(), [['leader', 1], ['web', 2]]);

  // The repo: the move's commits, in order.
  const subjects = git(repo, 'log', '--reverse', '--format=%s', `--grep=^Fleetplane-Operation: ${r.body.id}$`, 'main').trim().split('\n');
  assert.equal(subjects.length, 5, subjects.join('\n'));
  assert.match(subjects[0]!, new RegExp(`copy on ${target.name}, singletons held at zero$`));
  assert.match(subjects[1]!, new RegExp(`singletons held at zero on ${source.name}$`));
  assert.match(subjects[2]!, new RegExp(`copy on ${target.name}$`));
  assert.match(subjects[3]!, new RegExp(`switch to ${target.name}$`));
  assert.match(subjects[4]!, new RegExp(`removed from ${source.name}$`));
  const files = git(repo, 'ls-tree', '-r', '--name-only', 'main').trim().split('\n');
  assert.ok(files.includes('environments/prod/revision.json'));
  assert.ok(files.some((f) => f.startsWith(`environments/prod/copies/${target.name}/manifests/`)), files.join('\n'));
  assert.ok(!files.some((f) => f.startsWith('environments/prod/manifests/') || f === `environments/prod/copies/${target.name}/revision.json`), files.join('\n'));
  const index = JSON.parse(git(repo, 'show', 'main:environments/prod/revision.json')) as { application?: string; manifestsDir?: string; placement: { cluster: string } };
  assert.deepEqual([index.application, index.manifestsDir, index.placement.cluster], [copyApp, `environments/prod/copies/${target.name}/manifests`, target.name]);

  // The ordering rules, from the step records and the watcher.
  const at = (step: string, k: 'startedAt' | 'finishedAt') => Date.parse(done.steps.find((s) => s.name === step)![k]!);
  assert.ok(at('move-stop-source', 'finishedAt') <= at('move-start-target', 'startedAt'));
  assert.ok(at('move-start-target', 'finishedAt') <= at('move-remove', 'startedAt'));
  assert.deepEqual(watch.samples.singletonOverlaps, [], 'the singleton never had pods on both clusters');
  assert.ok(watch.samples.leaderOnSource > 0 && watch.samples.leaderOnTarget > 0, `the singleton was seen on both, in turn: ${JSON.stringify(watch.samples)}`);
  assert.deepEqual(watch.samples.webGaps, [], 'web always had a Ready pod on one of the clusters');

  // Later: the driver's verify finds the copy's Application through the index; re-running the switch and the removal commits nothing.
  const ctx = (cluster: TestCluster) => ({
    ...makeContext({ tenant, env: 'prod', namespace, cluster, kube: testClusterClient(cluster.name, cluster.client()), kind: 'move', opId: r.body.id }),
    clientFor: async (name: string) => testClusterClient(name, byName(name).client()),
  });
  const rev = (await h.store.revisions.get(tenant, 'prod', env.appliedRevision!))!;
  assert.deepEqual(await driver.verify(ctx(target), rev, { timeoutMs: 120_000 }), { ready: true });
  const head = git(repo, 'rev-parse', 'main').trim();
  assert.equal((await driver.promoteCopy(ctx(target))).changed, false, 'move-switch re-run: no commit');
  const again = await driver.removeSource(ctx(source), []);
  assert.deepEqual(again.pending, []);
  assert.equal(again.detail?.changed, false, 'move-remove re-run: no commit');
  assert.equal(git(repo, 'rev-parse', 'main').trim(), head, 'no new commit');

  // Another tenant on the same clusters and Argo CD: its Applications and AppProject as they were.
  assert.deepEqual(await appsOf(other), before.apps, "the other tenant's Applications are untouched");
  assert.deepEqual(await projectOf(other), before.project, "the other tenant's AppProject is untouched");
  const project = JSON.parse((await projectOf(tenant))!.spec) as { destinations: Array<{ server: string }> };
  assert.deepEqual([...new Set(project.destinations.map((d) => d.server))], [target.apiServer], 'the AppProject is narrowed to fp-3');

  const steps = Object.fromEntries(done.steps.map((s) => [s.name, (Date.parse(s.finishedAt!) - Date.parse(s.startedAt!)) / 1000]));
  console.log(JSON.stringify({ gitopsMove: { moveSeconds, commits: subjects.length, steps, watcherSamples: watch.samples.n, watcherErrors: watch.samples.errors } }));
}));

test('failover of a GitOps environment: the lost cluster\'s Application, directory and objects are reclaimed once it answers again', { timeout: 30 * 60_000 }, () => withArgoLogs(tenant, async () => {
  // Where the first test left it: the environment's home is its copy on fp-3.
  const [lostCluster, other2] = [clusters[2]!, clusters[1]!];
  const env0 = (await call<Environment>('GET', `/v1/environments/${tenant}/prod`)).body;
  assert.equal(env0.placement.cluster, lostCluster.name, 'the first test moved it to fp-3');
  const lostApp = copyApplicationName(tenant, 'prod', lostCluster.name);
  assert.ok(await readApp(mgmt(), lostApp), 'its Application on fp-3 exists');
  const otherBefore = { apps: await appsOf(other), project: await projectOf(other) };
  // Only fp-2 may take it: fp-1 runs Argo CD and is no destination of the tenant's project.
  assert.equal((await call('POST', `/v1/clusters/${clusters[0]!.name}:cordon`, { reason: 'failover test: not a target' })).status, 200);

  // Fleetplane loses fp-3 (a partition between the control plane and that cluster: Argo CD still
  // reaches it, so what the failover commits for the source is applied there as it would be on return).
  const lostAt = new Date(Date.now() - 60_000).toISOString();
  const down = { state: 'Unavailable' as const, reason: 'Unreachable', message: 'test: unreachable', since: lostAt, failingSince: lostAt, consecutiveFailures: 5, lastProbeAt: lostAt };
  assert.ok(await h.store.clusters.setHealth(lostCluster.name, down));
  const pass = await engine.failoverOnce();
  const mine = pass.evacuations.find((e) => e.cluster === lostCluster.name);
  assert.ok(mine?.created, JSON.stringify(pass));
  await engine.evacuationOnce();
  engine.nudge();
  const evacuation = await until('the failover move done', async () => {
    const e = (await engine.evacuationOnce()).find((x) => x.id === mine.id) ?? await h.store.evacuations.get(mine.id);
    return e && e.state !== 'running' ? e : null;
  }, 600_000, 2000);
  assert.equal(evacuation.state, 'succeeded', JSON.stringify(evacuation));
  const move = evacuation.moves.find((m) => m.tenant === tenant)!;
  assert.deepEqual([move.to, move.leftOn], [other2.name, lostCluster.name], JSON.stringify(move));
  assert.equal(typeof move.rtoSeconds, 'number', 'RTO reported');
  const moveOp = (await h.store.operations.get(move.operation!))!;
  assert.match(String(moveOp.steps.find((x) => x.name === 'move-remove')?.output?.skipped), /Unavailable/);
  assert.ok(await readApp(mgmt(), lostApp), 'the lost source\'s Application is left while the cluster is away');
  const env1 = (await call<Environment>('GET', `/v1/environments/${tenant}/prod`)).body;
  assert.deepEqual([env1.placement.cluster, env1.health], [other2.name, 'Ready']);

  // fp-3 answers again: one reclaim removes what it holds.
  assert.ok(await h.store.clusters.setHealth(lostCluster.name, { ...down, state: 'Available', reason: 'Recovered', message: 'GET /readyz ok', failingSince: null, consecutiveFailures: 0 }));
  await engine.evacuationOnce();
  const withReclaim = (await h.store.evacuations.get(mine.id))!;
  const reclaimId = withReclaim.moves.find((m) => m.tenant === tenant)?.reclaimOperation;
  assert.ok(reclaimId, JSON.stringify(withReclaim.moves));
  engine.nudge();
  const reclaim = await finished(reclaimId, 'the reclaim');
  assert.equal(reclaim.state, 'succeeded', `${reclaim.error ?? ''} ${JSON.stringify(reclaim.steps)}`);
  const out = reclaim.steps.find((x) => x.name === 'reclaim-remove')?.output ?? {};
  assert.equal(out.skipped, undefined, JSON.stringify(out));

  // Argo CD deleted the lost source's Application and pruned fp-3; the home's Application is Synced+Healthy on fp-2.
  assert.equal(await readApp(mgmt(), lostApp), null, 'the lost source\'s Application is gone');
  const homeApp = copyApplicationName(tenant, 'prod', other2.name);
  await until('the home Synced+Healthy', async () => { const a = await readApp(mgmt(), homeApp); return a?.sync === 'Synced' && a.health === 'Healthy'; }, 180_000);
  assert.deepEqual((await lostCluster.client().list('apps/v1', 'Deployment', { namespace })).map((d) => d.metadata.name), [], 'fp-3 pruned');
  const ns = await lostCluster.client().get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  assert.ok(!ns || ns.metadata.deletionTimestamp, 'the namespace is removed from fp-3');
  const onHome = await other2.client().list('apps/v1', 'Deployment', { namespace });
  assert.deepEqual(onHome.map((d) => [d.metadata.name, (d.spec as { replicas?: number }).replicas]).sort(), [['leader', 1], ['web', 2]]);
  const repo = repos[tenant]!.path;
  const files = git(repo, 'ls-tree', '-r', '--name-only', 'main').trim().split('\n');
  assert.ok(!files.some((f) => f.startsWith(`environments/prod/copies/${lostCluster.name}/`)), files.join('\n'));
  assert.ok(files.some((f) => f.startsWith(`environments/prod/copies/${other2.name}/manifests/`)), files.join('\n'));
  assert.match(git(repo, 'log', '-1', '--format=%s', 'main'), new RegExp(`removed from ${lostCluster.name}`));
  const project = JSON.parse((await projectOf(tenant))!.spec) as { destinations: Array<{ server: string }> };
  assert.deepEqual([...new Set(project.destinations.map((d) => d.server))], [other2.apiServer], 'the AppProject narrowed to the new home');
  // A second pass creates nothing; the other tenant on fp-2 was not touched.
  await engine.evacuationOnce();
  assert.equal((await h.store.operations.list({ limit: 100, tenant, kind: 'reclaim' })).items.length, 1);
  assert.deepEqual(await appsOf(other), otherBefore.apps, "the other tenant's Applications are untouched");
  assert.deepEqual(await projectOf(other), otherBefore.project, "the other tenant's AppProject is untouched");
  assert.equal((await call('POST', `/v1/clusters/${clusters[0]!.name}:uncordon`, {})).status, 200);
  console.log(JSON.stringify({ gitopsFailover: { rtoSeconds: move.rtoSeconds, reclaimSeconds: (Date.parse(reclaim.finishedAt!) - Date.parse(reclaim.createdAt)) / 1000 } }));
}));
