// Fleet-wide rollback end to end on the testbed (issue #21, "Done means"): a release rolled out in two
// waves over the real clusters fp-1..fp-3, through the API, the delivery engine and the rollout
// controller, with the per-tenant SLO gate reading a real Prometheus (recorded samples of the ratio
// series the generated recording rules produce). The release raises ONE tenant's error ratio once
// wave 2 upgraded it; that tenant's gate fails naming tenant, window and value, and with
// `onGateFailure: rollback` every environment of waves 1 and 2 goes back to the revision it ran before:
//   direct: asserted from the clusters (the live objects' revision label and the previous revision's
//           content; the object the bad release added is pruned);
//   GitOps: through the testbed's real Argo CD in fp-argocd, asserted from each tenant's repo (a revert
//           commit whose tree equals the one before the rollout) and from its Application (synced to
//           the revert by Argo CD's own auto-sync, which stays on) and the clusters.
// The release is rejected and a new rollout of it refused (409); the rollout reports gate-to-restored
// seconds. The controller's clock is the real one shifted onto the recorded samples (jumped over bake
// times and to the moment wave 2 went out), so no assertion depends on how long anything took.
// Needs PostgreSQL, Prometheus (scripts/*.sh ensure), the testbed and (GitOps part) its Argo CD.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import type { Api as App } from '../../src/api/context.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { refOf } from '../../src/domain/kinds.ts';
import { LABELS, type Environment, type KubeObject, type Operation } from '../../src/domain/types.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { RolloutController, type Decision, type RolloutView } from '../../src/engine/rollouts/index.ts';
import { RECORDED } from '../../src/render/monitoring/rules.ts';
import { RATE_WINDOWS } from '../../src/render/monitoring/slo.ts';
import { applicationName, isGuardRail } from '../../src/render/gitops/index.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type ArgocdStatus, type GitRepoCredentials } from '../../testbed/index.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import { startPrometheusWith, type RunningPrometheus, type SeriesToLoad } from '../helpers/prometheus.ts';
import { eventually, readApp, withArgoLogs } from './argocd-support.ts';
import { release, setupFleet, uniqueSlug, waitFor, type Fleet } from './engine.fixture.ts';
import { git } from './gitops-support.ts';

const token = 'fpt_admin_h21_rollback_0123456789ab';
const run = uniqueSlug('h21');
// Per mode: a and b (risk low) make wave 1, c and x wave 2 (x, risk high, last); x is the tenant the
// release hurts. The bystander is not selected, and burns its budget on its own: never named, never touched.
const roles = [['a', { risk: 'low' }], ['b', { risk: 'low' }], ['c', {}], ['x', { risk: 'high' }]] as const;
const tenantsOf = (mode: 'd' | 'g') => roles.map(([r, labels]) => ({ slug: `${run}${mode}-${r}`, labels, role: r }));
const DIRECT = tenantsOf('d');
const GITOPS = tenantsOf('g');
const BYSTANDER = `${run}d-by`;

// The recorded timeline (seconds): everyone calm from T0; the hurt tenant's error ratio is 20% from
// BAD on, the moment the controller's clock is moved to when wave 2 goes out.
const T0 = Date.UTC(2026, 10, 2, 12, 0, 0) / 1000;
const BAD = T0 + 3600;
const END = T0 + 4 * 3600;
const BAKE_S = 600;

/** A release that also adds the worker component (a Deployment the previous revision did not have). */
function badRelease(version: string): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as typeof SAMPLE_BLUEPRINT & { metadata: { version: string } };
  doc.metadata.version = version;
  doc.spec.product = { ...doc.spec.product, tag: version };
  return doc;
}

let fleet: Fleet;
let app: App;
let engine: Engine;
let prom: RunningPrometheus;
let controller: RolloutController;
let argo: ArgocdStatus | null = null;
let argoProblem = '';
let mgmt: KubeClient | undefined;
const served: Record<string, GitRepoCredentials> = {};
/** The controller's clock: the real one, shifted by `offsetMs` (moved forward only). */
let offsetMs = 0;
const clockNow = () => new Date(Date.now() + offsetMs);
const jumpTo = (ms: number) => { if (ms > clockNow().getTime()) offsetMs = ms - Date.now(); };

async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

const envOf = async (t: string) => (await call<Environment>('GET', `/v1/environments/${t}/prod`)).body;
const kubeFor = (cluster: string) => fleet.clusters.find((c) => c.name === cluster)!.client();

async function finished(ids: string[], timeoutMs = 600_000): Promise<Operation[]> {
  return waitFor(`${ids.length} operations finished`, async () => {
    const ops = await Promise.all(ids.map(async (id) => (await call<Operation>('GET', `/v1/operations/${id}`)).body));
    return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
  }, timeoutMs, 1000);
}

/** The ratio series of one tenant's prod environment, every window, error and slow, from T0 to END. */
function recorded(tenant: string, namespace: string, error: (ts: number) => number): SeriesToLoad[] {
  const out: SeriesToLoad[] = [];
  const ts = Array.from({ length: (END - T0) / 60 + 1 }, (_, i) => T0 + i * 60);
  for (const w of RATE_WINDOWS) {
    const labels = { tenant, environment: 'prod', namespace, service: 'web' };
    out.push({ metric: RECORDED.errorRatio(w), labels, samples: ts.map((t) => ({ ts: t, value: error(t) })) });
    out.push({ metric: RECORDED.slowRatio(w), labels, samples: ts.map((t) => ({ ts: t, value: 0.001 })) });
  }
  return out;
}

const differs = (path: string, live: unknown, want: unknown) => [`${path}: ${JSON.stringify(live)} != ${JSON.stringify(want)}`];

function missingFromObject(want: object, live: unknown, path: string): string[] {
  // An empty object (`emptyDir: {}`, `resources: {}`) may be dropped by the API server.
  if (Object.keys(want).length === 0 && live === undefined) return [];
  if (!live || typeof live !== 'object') return [`${path}: missing`];
  return Object.entries(want).flatMap(([k, v]) => missingFrom(v, (live as Record<string, unknown>)[k], `${path}.${k}`));
}

/** Every field the revision sets on an object (spec, data) is on the live object with the same value. */
function missingFrom(want: unknown, live: unknown, path = ''): string[] {
  if (want === undefined) return [];
  if (Array.isArray(want)) {
    if (!Array.isArray(live) || live.length !== want.length) return differs(path, live, want);
    return want.flatMap((w, i) => missingFrom(w, live[i], `${path}[${i}]`));
  }
  if (want && typeof want === 'object') return missingFromObject(want, live, path);
  return String(want) === String(live) ? [] : differs(path, live, want);
}

/** Ticks the controller until the rollout is final, moving its clock over bakes and to BAD for wave 2. */
async function drive(id: string): Promise<{ view: RolloutView; decisions: Decision[] }> {
  const decisions: Decision[] = [];
  const view = await waitFor(`rollout ${id} final`, async () => {
    for (const d of await controller.tick()) {
      decisions.push(d);
      if (d.kind === 'baking') jumpTo(Date.parse(d.until));
      if (d.kind === 'advanced' && d.to === 1) jumpTo(BAD * 1000);
    }
    const v = (await call<RolloutView>('GET', `/v1/rollouts/${id}`)).body;
    if (v.state === 'paused' || v.state === 'aborted') throw new Error(`rollout ${v.state}: ${v.reason}`);
    if (v.state === 'succeeded') throw new Error('the release must not pass the SLO gate');
    return v.state === 'rolled-back' ? v : null;
  }, 900_000, 500);
  return { view, decisions };
}

const previous: Record<string, string> = {};

/**
 * The testbed's Argo CD, brought up as the other Argo CD tests do (idempotent; under the build lock,
 * so in CI this waits for the background `argocd up` of scripts/test.sh).
 */
async function runningArgo(): Promise<ArgocdStatus | null> {
  const s = await argocdUp({ log: (l) => console.error(l) }).catch((err: unknown) => { argoProblem = String(err); return null; });
  if (s && !s.running) {
    const procs = s.processes.map((p) => `${p.name}: ${p.alive ? 'up' : 'down'}`).join(', ') || 'no processes';
    argoProblem = `Argo CD is not running (${procs}); start it with: npm run testbed -- argocd up`;
    return null;
  }
  return s;
}

function startTestEngine(): Promise<Engine> {
  const anyRepo = Object.values(served)[0]?.path;
  const gitops = argo && anyRepo ? createGitopsDriver({
    dataDir: fleet.db.dataDir, remoteTemplate: `${pathToFileURL(dirname(anyRepo)).href}/{tenant}.git`,
    argoTemplate: `${argo.gitURL}/{tenant}.git`, argocdNamespace: ARGOCD_NAMESPACE, argocdCluster: argo.management.name,
  }, { repoCredentials: (t) => (served[t] ? { username: served[t].username, password: served[t].password } : null) }) : null;
  return startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: `${run}-engine`, reconcileIntervalMs: 0, verifyTimeoutMs: 300_000, verifyAttempts: 1, pollMs: 200,
    ...(gitops ? { drivers: { gitops } } : {}),
  });
}

/** Onboards every tenant's prod environment at 1.0.0 (over fp-1..fp-3) to Ready; their recorded series. */
async function onboardAll(): Promise<SeriesToLoad[]> {
  const onboard = [
    ...DIRECT.map((t) => ({ ...t, delivery: 'direct' })), { slug: BYSTANDER, labels: {}, role: 'by', delivery: 'direct' },
    ...(argo ? GITOPS.map((t) => ({ ...t, delivery: 'gitops' })) : []),
  ];
  const ops: string[] = [];
  for (const [i, t] of onboard.entries()) {
    const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', {
      slug: t.slug, name: t.slug, tier: 'shared', labels: t.labels,
      environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', delivery: t.delivery, cluster: fleet.clusters[i % 3]!.name }],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ops.push(...r.body.operations.map((o) => o.id));
  }
  const done = await finished(ops);
  assert.deepEqual(done.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}/${o.environment}: ${o.error}`), []);
  const series: SeriesToLoad[] = [];
  for (const t of onboard) {
    const e = await envOf(t.slug);
    assert.equal(e.health, 'Ready', t.slug);
    previous[t.slug] = e.appliedRevision!;
    // The bystander burns all along; the hurt tenant from BAD on (when wave 2 upgrades it).
    const hot = (ts: number) => t.role === 'by' || (t.role === 'x' && ts >= BAD);
    series.push(...recorded(t.slug, e.placement.namespace, (ts) => (hot(ts) ? 0.2 : 0.001)));
  }
  return series;
}

before(async () => {
  fleet = await setupFleet();
  assert.ok(fleet.clusters.length >= 3, 'needs the 3 testbed clusters');
  argo = await runningArgo();
  if (argo) {
    mgmt = fleet.clusters.find((c) => c.name === argo!.management.name)!.client();
    for (const t of GITOPS) served[t.slug] = await argocdGitRepo(t.slug);
  }
  await fleet.store.tokens.create({ name: 'h21-admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(fleet.store, fleet.db.dataDir), { logger: false });
  await app.ready();
  for (const c of fleet.clusters.slice(0, 3)) {
    const r = await call('POST', '/v1/clusters', { name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  for (const doc of [release('1.0.0'), badRelease('1.1.0'), badRelease('1.2.0')]) {
    const r = await call('POST', '/v1/blueprints', { name: 'demo-app', version: (doc.metadata as { version: string }).version, spec: doc });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  engine = await startTestEngine();
  prom = await startPrometheusWith(await onboardAll());
  // The controller's clock starts on the recorded timeline (from here on it only moves forward).
  offsetMs = (T0 + 600) * 1000 - Date.now();
  controller = new RolloutController({ store: fleet.store, workerId: `${run}-controller`, now: clockNow, prometheusUrl: prom.url, logger: pino({ level: 'silent' }) });
});

/** Leaves the shared testbed as found: the tenant's namespaces, Argo CD objects and served repo. */
async function cleanupTenant(t: string): Promise<void> {
  // Argo CD's objects first, so its selfHeal does not re-create what the namespace deletion removes.
  if (served[t] && mgmt) {
    for (const [kind, name] of [['ApplicationSet', t], ['ApplicationSet', `${t}.charts`], ['AppProject', t]] as const) {
      await mgmt.delete({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: ARGOCD_NAMESPACE, name }).catch(() => undefined);
    }
    await mgmt.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${t}` }).catch(() => undefined);
    await argocdRemoveGitRepo(t).catch(() => undefined);
  }
  for (const c of fleet?.clusters.slice(0, 3) ?? []) {
    for (const ns of (await c.client().list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': t } }).catch(() => [])) ?? []) {
      await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
    }
  }
}

after(async () => {
  await engine?.stop();
  await app?.close();
  await prom?.stop();
  for (const t of [...DIRECT, ...GITOPS].map((x) => x.slug).concat(BYSTANDER)) await cleanupTenant(t);
  await fleet?.cleanup();
});

/** Starts the rollout of `version` over `tenants` in 2 waves with the SLO gate, rolls back on failure. */
async function rollOut(version: string, tenants: typeof DIRECT): Promise<{ view: RolloutView; decisions: Decision[] }> {
  const created = await call<RolloutView>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version, selector: { tenants: tenants.map((t) => t.slug) },
    strategy: { canary: { count: 0 }, waves: [50, 100], maxParallel: 4, onGateFailure: 'rollback', gates: { health: true, bakeSeconds: BAKE_S, slo: { severities: ['page'] } } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const slug = (r: string) => tenants.find((t) => t.role === r)!.slug;
  assert.deepEqual(created.body.waves.map((w) => [w.name, w.targets.map((t) => t.tenant)]), [['wave-1', [slug('a'), slug('b')]], ['wave-2', [slug('c'), slug('x')]]]);
  return drive(created.body.id);
}

/** What every rollout here must show: the hurt tenant named, waves 1 and 2 back, release rejected, 409. */
async function assertRolledBack(version: string, tenants: typeof DIRECT, view: RolloutView, decisions: Decision[]): Promise<void> {
  const x = tenants.find((t) => t.role === 'x')!.slug;
  assert.deepEqual(decisions.filter((d) => d.kind === 'advanced').map((d) => d.kind === 'advanced' && d.to), [1], 'wave 1 passed its gate');
  assert.ok(decisions.some((d) => d.kind === 'rolling-back'), decisions.map((d) => d.kind).join());
  const reason = new RegExp(`^SLO gate: ${x}/prod service web burns its availability budget 40x over 1h/5m \\(ratio 0\\.200 > 0\\.072\\)`);
  assert.deepEqual(view.waves.map((w) => w.gate), ['passed', 'failed']);
  assert.match(view.waves[1]!.gateReason ?? '', reason, 'the failing tenant, window and value are named');
  assert.match(view.reason ?? '', reason);
  assert.doesNotMatch(view.reason ?? '', new RegExp(BYSTANDER), 'a tenant outside the rollout is not judged by it');
  // Gate-to-restored time: the controller's clock at the gate and when the last environment was back.
  const rb = view.rollback!;
  assert.deepEqual([rb.environments, rb.restored, rb.failed], [4, 4, []]);
  assert.equal(typeof rb.seconds, 'number');
  assert.equal(rb.seconds, (Date.parse(rb.completedAt!) - Date.parse(rb.startedAt)) / 1000);
  assert.ok(Date.parse(rb.startedAt) >= Date.parse(view.waves[1]!.completedAt!) + BAKE_S * 1000, 'the gate fired after wave 2 baked');

  for (const t of tenants) {
    const ops = (await call<{ items: Operation[] }>('GET', `/v1/operations?tenant=${t.slug}&environment=prod`)).body.items.filter((o) => o.params.rollout === view.id);
    const upgrade = (await call<Operation>('GET', `/v1/operations/${ops.find((o) => o.kind === 'upgrade')!.id}`)).body;
    const render = upgrade.steps.find((s) => s.name === 'render')!.output!;
    assert.equal(render.previousRevision, previous[t.slug], `${t.slug}: the upgrade replaced the revision it ran before`);
    assert.notEqual(render.revision, previous[t.slug], `${t.slug}: the rollout changed it`);
    const rollbacks = ops.filter((o) => o.kind === 'rollback');
    assert.deepEqual(rollbacks.map((o) => [o.state, o.params.revision]), [['succeeded', previous[t.slug]]], `${t.slug}: rolled back once, to its previous revision`);
    const e = await envOf(t.slug);
    assert.deepEqual([e.version, e.appliedRevision, e.health], ['1.0.0', previous[t.slug], 'Ready'], t.slug);
  }
  const by = await envOf(BYSTANDER);
  assert.deepEqual([by.version, by.appliedRevision], ['1.0.0', previous[BYSTANDER]]);
  assert.equal((await call<{ items: Operation[] }>('GET', `/v1/operations?tenant=${BYSTANDER}&environment=prod`)).body.items.filter((o) => o.kind !== 'onboard').length, 0, 'the bystander was not touched');

  const rel = (await call<{ rejected: { rollout: string; reason: string } | null }>('GET', `/v1/blueprints/demo-app/${version}`)).body;
  assert.equal(rel.rejected?.rollout, view.id);
  assert.match(rel.rejected?.reason ?? '', reason);
  const again = await call<{ detail: string }>('POST', '/v1/rollouts', { blueprint: 'demo-app', version, selector: { tenants: tenants.map((t) => t.slug) } });
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.match(again.body.detail, new RegExp(`rejected by rollout ${view.id}`));
}

/** What is wrong with one live object against the revision's (label, spec/data, Argo CD's tracking). */
function liveProblems(object: KubeObject, live: KubeObject | null, revision: string, trackedBy?: string): string[] {
  const name = `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  if (!live) return [`${name}: missing`];
  const out: string[] = [];
  if (live.metadata.labels?.[LABELS.revision] !== revision) out.push(`${name}: revision label ${live.metadata.labels?.[LABELS.revision]}`);
  // Secrets: written, never read back into the comparison; Argo CD never sees them (out of band).
  if (object.kind === 'Secret') return out;
  const want = object as KubeObject & { spec?: unknown; data?: unknown };
  out.push(...missingFrom({ spec: want.spec, data: want.data }, live, name));
  const id = live.metadata.annotations?.['argocd.argoproj.io/tracking-id'] ?? '';
  // The guard rails (Namespace, quota, limits, NetworkPolicies) are the driver's, out of band (ADR 0620): untracked.
  if (trackedBy && isGuardRail(object) && id !== '') out.push(`${name}: guard rail tracked by Argo CD (${id})`);
  if (trackedBy && !isGuardRail(object) && !id.startsWith(`${trackedBy}:`)) out.push(`${name}: tracking-id ${id}`);
  return out;
}

/** The live objects of the tenant's environment are the previous revision's; the added worker is gone. */
async function assertLiveIsPrevious(tenant: string, trackedBy?: string): Promise<void> {
  const e = await envOf(tenant);
  const kube = kubeFor(e.placement.cluster);
  const rev = (await fleet.store.revisions.get(tenant, 'prod', previous[tenant]!))!;
  assert.equal(rev.version, '1.0.0');
  const problems: string[] = [];
  for (const { object } of rev.objects) problems.push(...liveProblems(object, await kube.get(refOf(object)), rev.id, trackedBy));
  assert.deepEqual(problems, [], `${tenant}: live objects are the previous revision's`);
  const web = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'web' });
  assert.match((web?.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image, /:1\.0\.0$/);
  await eventually(`${tenant}: the worker Deployment the release added is pruned`, async () =>
    (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.placement.namespace, name: 'worker' })) === null, { timeoutMs: 120_000 });
}

describe('direct delivery', () => {
  let result: { view: RolloutView; decisions: Decision[] };

  test('the release hurts one wave-2 tenant: its SLO gate fails and waves 1 and 2 are rolled back, the release rejected', async () => {
    result = await rollOut('1.1.0', DIRECT);
    await assertRolledBack('1.1.0', DIRECT, result.view, result.decisions);
  });

  test('on the clusters, every environment of waves 1 and 2 runs its previous revision again', async () => {
    assert.ok(result, 'the rollout ran');
    for (const t of DIRECT) await assertLiveIsPrevious(t.slug);
  });
});

describe('GitOps delivery through the testbed Argo CD', () => {
  const trees: Record<string, string> = {};
  let result: { view: RolloutView; decisions: Decision[] };
  before(() => {
    if (!argo) throw new Error(`the GitOps half needs the testbed's Argo CD: ${argoProblem}`);
    for (const t of GITOPS) trees[t.slug] = git(served[t.slug]!.path, 'rev-parse', 'main^{tree}').trim();
  });

  test('the release hurts one wave-2 tenant: its SLO gate fails and waves 1 and 2 are rolled back by revert commits, the release rejected', () => withArgoLogs('h21-rollback', async () => {
    result = await rollOut('1.2.0', GITOPS);
    await assertRolledBack('1.2.0', GITOPS, result.view, result.decisions);
  }));

  test('each repo ends on a revert commit whose tree is the one before the rollout; Argo CD auto-synced it', () => withArgoLogs('h21-rollback', async () => {
    assert.ok(result, 'the rollout ran');
    for (const t of GITOPS) {
      const repo = served[t.slug]!.path;
      const head = git(repo, 'rev-parse', 'main').trim();
      const [subject, ...body] = git(repo, 'log', '-1', '--format=%s%n%b', 'main').trim().split('\n');
      assert.match(subject!, /^Revert "upgrade /, t.slug);
      const reverted = body.find((l) => l.startsWith('Fleetplane-Reverts: '))?.slice('Fleetplane-Reverts: '.length);
      assert.equal(reverted, git(repo, 'rev-parse', 'main~1').trim(), `${t.slug}: it reverts the rollout's upgrade commit`);
      assert.match(git(repo, 'log', '-1', '--format=%b', reverted!), /Fleetplane-Revision: /);
      assert.equal(git(repo, 'rev-parse', 'main^{tree}').trim(), trees[t.slug], `${t.slug}: the revert's tree is the tree before the rollout`);
      assert.notEqual(git(repo, 'rev-parse', 'main~1^{tree}').trim(), trees[t.slug], `${t.slug}: the upgrade had changed it`);

      const name = applicationName(t.slug, 'prod');
      const a = await eventually(`${name} Synced+Healthy at the revert`, async () => {
        const v = await readApp(mgmt!, name);
        return v?.sync === 'Synced' && v.health === 'Healthy' && v.revisions.includes(head) ? v : null;
      });
      assert.deepEqual(a.revisions, [head]);
      const obj = (await mgmt!.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: ARGOCD_NAMESPACE, name }))!;
      const spec = obj.spec as { syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean } } };
      assert.deepEqual([spec.syncPolicy?.automated?.prune, spec.syncPolicy?.automated?.selfHeal], [true, true], 'auto-sync stays on: the rollback is a commit, not a sync override');
      const op = (obj.status as { operationState?: { operation?: { initiatedBy?: { automated?: boolean } }; syncResult?: { revision?: string } } }).operationState;
      assert.equal(op?.syncResult?.revision, head);
      assert.equal(op?.operation?.initiatedBy?.automated, true, 'Argo CD synced the revert by itself');
      await assertLiveIsPrevious(t.slug, name);
    }
  }));
});
