// "The rollout of a release to every environment type of every tier succeeds on the testbed" (issue
// #12, Done means). One environment of every tier (shared, dedicated on its own cluster, hybrid) x
// type (prod, staging, dev) of the shipped blueprints/default, with its GPU model server, plus one
// per tier of its CPU-only variant (default-cpu, the demo's: no model server), delivered directly or
// through GitOps and the testbed's REAL Argo CD (both modes in every tier): 12 environments onboarded
// at 1.4.0 through the API and the engine, then 1.5.0 rolled out to all of them at once (one rollout
// per blueprint, started together: a rollout is of one blueprint), each within its own quota — the
// staging/dev GPU quota of 1 holds the one model pod, so its rollout must replace rather than surge.
// Asserted from the clusters: every Deployment of every environment at the 1.5.0 revision and rolled
// out, the model server's image at 1.5.0, no quota exceeded, no pod refused by a quota; GitOps ones
// also from their Applications (Synced + Healthy). Unique tenant prefix; everything removed after.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import type { Api as App } from '../../src/api/context.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { LABELS, type Environment, type KubeObject, type Operation } from '../../src/domain/types.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { RolloutController, type RolloutView } from '../../src/engine/rollouts/index.ts';
import { applicationName } from '../../src/render/gitops/index.ts';
import { cpuVariant } from '../../demo/fleet-plan.ts';
import { loadRelease, type Doc } from '../../demo/tenants.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, type ArgocdStatus, type GitRepoCredentials } from '../../testbed/index.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import { readApp, removeTenantFromArgo, withArgoLogs } from './argocd-support.ts';
import { setupFleet, uniqueSlug, waitFor, type Fleet } from './engine.fixture.ts';

const token = 'fpt_admin_h12_every_type_0123456789';
const run = uniqueSlug('h12r').replace('-', '');
const FROM = '1.4.0';
const TO = '1.5.0';
const GPU = 'default';
const CPU = 'default-cpu';
type Tier = 'shared' | 'dedicated' | 'hybrid';
interface Env { tenant: string; tier: Tier; name: string; type: 'prod' | 'staging' | 'dev'; blueprint: string; delivery: 'direct' | 'gitops'; cluster: number }

const TENANTS: Record<Tier, string> = { shared: `${run}s`, dedicated: `${run}d`, hybrid: `${run}h` };
/** Per tier: every type with the model server, one dev without it; both delivery modes each; the dedicated tenant on fp-3 only. */
const ENVS: Env[] = (['shared', 'dedicated', 'hybrid'] as const).flatMap((tier, i) => {
  const mode = (even: boolean) => (even === (i % 2 === 0) ? 'direct' as const : 'gitops' as const);
  const at = (k: number) => (tier === 'dedicated' ? 2 : k % 2);
  return [
    { name: 'prod', type: 'prod' as const, blueprint: GPU, delivery: mode(true), cluster: at(0) },
    { name: 'staging', type: 'staging' as const, blueprint: GPU, delivery: mode(false), cluster: at(1) },
    { name: 'dev', type: 'dev' as const, blueprint: GPU, delivery: tier === 'shared' ? 'direct' as const : 'gitops' as const, cluster: at(i) },
    { name: 'qa', type: 'dev' as const, blueprint: CPU, delivery: tier === 'shared' ? 'gitops' as const : 'direct' as const, cluster: at(i + 1) },
  ].map((e) => ({ ...e, tenant: TENANTS[tier], tier }));
});

let fleet: Fleet;
let app: App;
let engine: Engine;
let argo: ArgocdStatus;
let mgmt: KubeClient;
const served: Record<string, GitRepoCredentials> = {};
/** Quota refusals seen in the environments' events (printed; see assertOnCluster). */
const refusals: string[] = [];

async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

const envOf = async (e: Env) => (await call<Environment>('GET', `/v1/environments/${e.tenant}/${e.name}`)).body;
const kubeFor = (cluster: string) => fleet.clusters.find((c) => c.name === cluster)!.client();
const label = (e: Env) => `${e.tier}/${e.name} (${e.type}, ${e.blueprint}, ${e.delivery})`;

async function finished(ids: string[], timeoutMs = 1_200_000): Promise<Operation[]> {
  return waitFor(`${ids.length} operations finished`, async () => {
    const ops = await Promise.all(ids.map(async (id) => (await call<Operation>('GET', `/v1/operations/${id}`)).body));
    return ops.every((o) => o.state === 'succeeded' || o.state === 'failed') ? ops : null;
  }, timeoutMs, 2000);
}

before(async () => {
  fleet = await setupFleet();
  assert.ok(fleet.clusters.length >= 3, 'needs the 3 testbed clusters');
  argo = await argocdUp({ log: (l) => console.error(l) });
  assert.ok(argo.running, 'Argo CD is running');
  mgmt = fleet.clusters.find((c) => c.name === argo.management.name)!.client();
  for (const t of new Set(ENVS.filter((e) => e.delivery === 'gitops').map((e) => e.tenant))) served[t] = await argocdGitRepo(t);
  await fleet.store.tokens.create({ name: 'h12-admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(fleet.store, fleet.db.dataDir), { logger: false });
  await app.ready();
  for (const [i, c] of fleet.clusters.slice(0, 3).entries()) {
    const role = i === 2 ? `dedicated:${TENANTS.dedicated}` : 'shared';
    const r = await call('POST', '/v1/clusters', { name: c.name, provider: 'local', region: 'local', role, apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8') });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  for (const v of [FROM, TO]) {
    const full = await loadRelease(v);
    for (const doc of [full, cpuVariant(full, CPU) as Doc]) {
      const r = await call('POST', '/v1/blueprints', { name: doc.metadata.name, version: doc.metadata.version, spec: doc });
      assert.ok(r.status < 300, JSON.stringify(r.body));
    }
  }
  const anyRepo = Object.values(served)[0]!.path;
  engine = await startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: `${run}-engine`, reconcileIntervalMs: 0, verifyTimeoutMs: 600_000, verifyAttempts: 1, pollMs: 250,
    drivers: {
      gitops: createGitopsDriver({
        dataDir: fleet.db.dataDir, remoteTemplate: `${pathToFileURL(dirname(anyRepo)).href}/{tenant}.git`,
        argoTemplate: `${argo.gitURL}/{tenant}.git`, argocdNamespace: ARGOCD_NAMESPACE, argocdCluster: argo.management.name,
        chartMirrors: { 'https://charts.bitnami.com/bitnami': argo.chartRepoURL },
      }, { repoCredentials: (t) => (served[t] ? { username: served[t].username, password: served[t].password } : null) }),
    },
  });
});

after(async () => {
  await engine?.stop();
  await app?.close();
  for (const t of Object.values(TENANTS)) {
    if (served[t] && mgmt) {
      await removeTenantFromArgo(mgmt, t).catch(() => undefined);
      await argocdRemoveGitRepo(t).catch(() => undefined);
    }
    for (const c of fleet?.clusters.slice(0, 3) ?? []) {
      for (const ns of (await c.client().list('v1', 'Namespace', { labelSelector: { [LABELS.tenant]: t } }).catch(() => [])) ?? []) {
        await c.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
      }
    }
  }
  await fleet?.cleanup();
});

type Deploy = KubeObject & { spec: { replicas?: number; strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string } }; template: { metadata?: { labels?: Record<string, string> }; spec: { containers: Array<{ image: string; resources?: { limits?: Record<string, string> } }> } } }; status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number; readyReplicas?: number } };

/** Every Deployment at the applied revision and rolled out (observed generation, replicas updated and available). */
function deploymentProblems(e: Env, deployments: Deploy[], revision: string | undefined): string[] {
  const out: string[] = deployments.length < 3 ? [`${label(e)}: only ${deployments.length} Deployments`] : [];
  for (const d of deployments) {
    const s = d.status ?? {};
    const want = d.spec.replicas ?? 1;
    if (d.metadata.labels?.[LABELS.revision] !== revision) out.push(`${label(e)} ${d.metadata.name}: revision ${d.metadata.labels?.[LABELS.revision]} != ${revision}`);
    const rolled = (s.observedGeneration ?? 0) >= Number(d.metadata.generation ?? 0) && s.updatedReplicas === want && s.availableReplicas === want && s.replicas === want;
    if (!rolled) out.push(`${label(e)} ${d.metadata.name}: not rolled out ${JSON.stringify(s)} want ${want}`);
  }
  return out;
}

/** The GPU blueprint's model server at the version, replacing rather than surging; none in the CPU variant. */
function modelProblems(e: Env, model: Deploy | undefined, version: string): string[] {
  if (e.blueprint !== GPU) return model ? [`${label(e)}: the CPU variant has a model server`] : [];
  if (!model) return [`${label(e)}: no model server`];
  const out: string[] = [];
  const image = model.spec.template.spec.containers[0]!.image;
  if (version === TO && !image.endsWith(`:${version}-cuda12`)) out.push(`${label(e)}: model image ${image}`);
  const surge = model.spec.strategy?.type === 'Recreate' ? 0 : model.spec.strategy?.rollingUpdate?.maxSurge;
  if (![0, '0', '0%'].includes(surge as number | string)) out.push(`${label(e)}: the GPU model server surges (${JSON.stringify(model.spec.strategy)})`);
  return out;
}

/** No quota exceeded; a pod the quota refused only ever the model server's replacement (recorded in `refusals`). */
async function quotaProblems(e: Env, kube: KubeClient, ns: string): Promise<string[]> {
  const out: string[] = [];
  const gpuKey = 'requests.nvidia.com/gpu';
  for (const q of await kube.list('v1', 'ResourceQuota', { namespace: ns })) {
    const st = (q.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
    if (st.hard?.[gpuKey] !== undefined && Number(st.used?.[gpuKey] ?? 0) > Number(st.hard[gpuKey])) out.push(`${label(e)}: GPUs ${st.used?.[gpuKey]} > ${st.hard[gpuKey]}`);
  }
  // The ReplicaSet controller retries a refused pod, so a rollout still completes; the GPU model
  // server's replacement may meet a refusal (the old pod's GPU counts until it has terminated), but
  // anything else means a quota too small for the environment.
  for (const ev of await kube.list('v1', 'Event', { namespace: ns })) {
    const msg = String((ev as { message?: string }).message ?? '');
    if (!/exceeded quota/i.test(msg)) continue;
    refusals.push(`${label(e)} x${Number((ev as { count?: number }).count ?? 1)}: ${msg.slice(0, 160)}`);
    if (!msg.startsWith('Error creating: pods "model-') || !msg.includes(`${gpuKey}=1`)) out.push(`${label(e)}: quota refused something other than a model pod's GPU: ${msg}`);
  }
  return out;
}

/** From the cluster (and, for GitOps, its Application): Ready at `version`, rolled out, within quota. */
async function assertOnCluster(e: Env, version: string): Promise<string[]> {
  const env = await envOf(e);
  const kube = kubeFor(env.placement.cluster);
  const deployments = await kube.list<Deploy>('apps/v1', 'Deployment', { namespace: env.placement.namespace });
  const problems = [
    ...(env.version !== version || env.health !== 'Ready' ? [`${label(e)}: API says ${env.version} ${env.health}`] : []),
    ...deploymentProblems(e, deployments, env.appliedRevision ?? undefined),
    ...modelProblems(e, deployments.find((d) => d.metadata.name === 'model'), version),
    ...(await quotaProblems(e, kube, env.placement.namespace)),
  ];
  if (e.delivery === 'gitops') {
    const a = await readApp(mgmt, applicationName(e.tenant, e.name));
    if (a?.sync !== 'Synced' || a.health !== 'Healthy') problems.push(`${label(e)}: Application ${a?.sync} ${a?.health}`);
  }
  return problems;
}

test('12 environments (3 tiers x 3 types with the GPU model server, a CPU-only dev per tier; direct and GitOps) onboard at 1.4.0 to Ready', () => withArgoLogs(run, async () => {
  const ops: string[] = [];
  for (const [tier, slug] of Object.entries(TENANTS)) {
    const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', {
      slug, name: slug, tier,
      environments: ENVS.filter((e) => e.tenant === slug).map((e) => ({ name: e.name, type: e.type, blueprint: e.blueprint, version: FROM, delivery: e.delivery, cluster: fleet.clusters[e.cluster]!.name })),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ops.push(...r.body.operations.map((o) => o.id));
  }
  assert.equal(ops.length, ENVS.length);
  const done = await finished(ops);
  assert.deepEqual(done.filter((o) => o.state !== 'succeeded').map((o) => `${o.tenant}/${o.environment}: ${o.error}`), []);
  const problems = (await Promise.all(ENVS.map((e) => assertOnCluster(e, FROM)))).flat();
  assert.deepEqual(problems, []);
  assert.deepEqual([...new Set(ENVS.map((e) => `${e.tier}:${e.type}:${e.blueprint}`))].length, 12, 'every tier x type with the model server, and the CPU variant');
  for (const tier of Object.keys(TENANTS)) assert.deepEqual([...new Set(ENVS.filter((e) => e.tier === tier).map((e) => e.delivery))].sort(), ['direct', 'gitops'], tier);
}));

test('1.5.0 rolled out to all 12 at once: every environment Ready at 1.5.0, read from the clusters, each within its quota', () => withArgoLogs(run, async () => {
  const controller = new RolloutController({ store: fleet.store, workerId: `${run}-controller`, logger: pino({ level: 'silent' }) });
  const ids: Record<string, string> = {};
  for (const blueprint of [GPU, CPU]) {
    const r = await call<RolloutView>('POST', '/v1/rollouts', {
      blueprint, version: TO, selector: { tenants: Object.values(TENANTS) },
      strategy: { canary: { count: 0 }, waves: [100], maxParallel: 12, maxUnavailable: 12, maxFailures: 0, gates: { health: true, bakeSeconds: 0 } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const targets = r.body.waves.flatMap((w) => w.targets);
    assert.equal(targets.length, ENVS.filter((e) => e.blueprint === blueprint).length, `${blueprint}: every environment on it is a target`);
    ids[blueprint] = r.body.id;
  }
  const began = Date.now();
  const views = await waitFor('both rollouts final', async () => {
    await controller.tick();
    const vs = await Promise.all(Object.values(ids).map(async (id) => (await call<RolloutView>('GET', `/v1/rollouts/${id}`)).body));
    for (const v of vs) if (v.state === 'paused' || v.state === 'aborted' || v.state === 'rolled-back') throw new Error(`rollout ${v.id} ${v.state}: ${v.reason}`);
    return vs.every((v) => v.state === 'succeeded') ? vs : null;
  }, 1_800_000, 1000);
  console.error(`[every type] both rollouts succeeded ${((Date.now() - began) / 1000).toFixed(0)} s after they were created`);
  assert.deepEqual(views.map((v) => v.state), ['succeeded', 'succeeded']);
  const problems = (await Promise.all(ENVS.map((e) => assertOnCluster(e, TO)))).flat();
  console.error(`[every type] quota refusals (retried by the ReplicaSet controller): ${refusals.length ? `\n  ${[...new Set(refusals)].join('\n  ')}` : 'none'}`);
  assert.deepEqual(problems, []);
}));
