// GitOps delivery through the real engine and API: an environment onboarded with delivery "gitops"
// is committed to the tenant's repo by the engine's GitOps driver, synced by the Argo CD stand-in
// (test helper; the testbed runs no Argo CD) and becomes Ready; a never-ready upgrade fails
// verification and the engine's rollback lands as a revert commit; offboarding the tenant removes
// the environment directory and archives the repo. PostgreSQL + testbed cluster.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.ts';
import { apiDeps } from '../helpers/api-harness.ts';
import type { Api as App } from '../../src/api/context.ts';
import type { Environment, Operation } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { createGitopsDriver } from '../../src/engine/drivers/gitops-config.ts';
import { argoSync } from './gitops-argocd-stand-in.ts';
import { release, setupFleet, uniqueSlug, waitFor, type Fleet } from './engine.fixture.ts';
import { git } from './gitops-support.ts';

let fleet: Fleet;
let app: App;
let engine: Engine;
let syncing = true;
let syncLoop: Promise<void>;
const token = 'fpt_admin_gitops_engine_0123456789';
const tenant = uniqueSlug('ge');
const repo = () => join(fleet.db.dataDir, 'git', `${tenant}.git`);

async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as T };
}

const env = async () => (await call<Environment>('GET', `/v1/environments/${tenant}/prod`)).body;
const op = async (id: string) => (await call<Operation>('GET', `/v1/operations/${id}`)).body;

/** Plays Argo CD for every tenant repo while the test runs (what an Argo CD controller would do). */
async function standIn(): Promise<void> {
  const cluster = fleet.clusters[0]!;
  while (syncing) {
    const dir = join(fleet.db.dataDir, 'git');
    const repos = (() => { try { return readdirSync(dir).filter((f) => f.endsWith('.git')); } catch { return []; } })();
    for (const r of repos) {
      await argoSync({ repo: join(dir, r), tenant: r.replace(/\.git$/, ''), kube: cluster.client(), server: cluster.apiServer }).catch(() => undefined);
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

before(async () => {
  fleet = await setupFleet();
  const cluster = fleet.clusters[0]!;
  await fleet.store.tokens.create({ name: 'test-admin', tenant: null, role: 'admin' }, token);
  app = await buildApp(await apiDeps(fleet.store, fleet.db.dataDir), { logger: false });
  await app.ready();
  const reg = await call('POST', '/v1/clusters', { name: cluster.name, provider: 'local', region: 'local', role: 'shared', apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8') });
  assert.ok(reg.status < 300, JSON.stringify(reg.body));
  for (const doc of [release('1.0.0'), release('1.2.0', '1.2.0-never-ready')]) {
    const r = await call('POST', '/v1/blueprints', { name: 'demo-app', version: (doc.metadata as { version: string }).version, spec: doc });
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }
  engine = await startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: `${tenant}-engine`, reconcileIntervalMs: 0, verifyTimeoutMs: 30_000, verifyAttempts: 1, pollMs: 200,
    drivers: { gitops: createGitopsDriver({ dataDir: fleet.db.dataDir }, { audit: (e) => fleet.store.audit.append(e) }) },
  });
  syncLoop = standIn();
});

after(async () => {
  syncing = false;
  await syncLoop;
  await engine?.stop();
  await app?.close();
  const kube = fleet?.clusters[0]?.client();
  for (const ns of (await kube?.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': tenant } }).catch(() => [])) ?? []) {
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
  }
  await fleet?.cleanup();
});

let onboardOp = '';

test('onboarding a gitops environment commits to the tenant repo; once synced it is Ready', async () => {
  const r = await call<{ operations: Operation[] }>('POST', '/v1/tenants', {
    slug: tenant, name: tenant, tier: 'shared',
    environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', delivery: 'gitops', cluster: fleet.clusters[0]!.name }],
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  onboardOp = r.body.operations[0]!.id;
  const done = await waitFor('onboard finished', async () => {
    const o = await op(onboardOp);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 180_000, 1000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const e = await env();
  assert.equal(e.health, 'Ready');
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `onboard ${tenant}/prod: blueprint demo-app@1.0.0, revision ${e.appliedRevision}`);
  assert.match(git(repo(), 'log', '-1', '--format=%B', 'main'), new RegExp(`^Fleetplane-Operation: ${onboardOp}$`, 'm'));
  const files = git(repo(), 'ls-tree', '-r', '--name-only', 'main').trim().split('\n');
  assert.ok(files.includes('argocd/applicationset.yaml') && files.includes('environments/prod/revision.json'));
  assert.ok(files.some((f) => /^environments\/prod\/manifests\/\d+-deployment-web\.yaml$/.test(f)), files.join('\n'));
});

test('a never-ready upgrade fails verification; the engine rolls back with a revert commit and the environment is Ready again', async () => {
  const before = git(repo(), 'rev-parse', 'main^{tree}').trim();
  const r = await call<Operation>('POST', `/v1/tenants/${tenant}/environments/prod:upgrade`, { version: '1.2.0' });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('upgrade finished', async () => {
    const o = await op(r.body.id);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 240_000, 1000);
  assert.equal(done.state, 'failed');
  const subjects = git(repo(), 'log', '--format=%s', '-2', 'main').trim().split('\n');
  assert.match(subjects[0]!, /^Revert "upgrade .*demo-app@1\.2\.0/);
  assert.match(subjects[1]!, /^upgrade .*demo-app@1\.2\.0/);
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), before, 'the revert restores the good tree');
  const e = await waitFor('Ready again', async () => { const x = await env(); return x.health === 'Ready' ? x : null; }, 120_000, 1000);
  assert.equal(e.version, '1.0.0');
});

test('offboarding the tenant removes its environment directory and archives the repo', async () => {
  const r = await call<Operation>('DELETE', `/v1/tenants/${tenant}`);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const done = await waitFor('offboard finished', async () => {
    const o = await op(r.body.id);
    return o.state === 'succeeded' || o.state === 'failed' ? o : null;
  }, 120_000, 1000);
  assert.equal(done.state, 'succeeded', done.error ?? '');
  const archive = join(fleet.db.dataDir, 'git', 'archive');
  const archived = readdirSync(archive).filter((f) => f.startsWith(`${tenant}-`));
  assert.equal(archived.length, 1);
  assert.equal(git(join(archive, archived[0]!), 'log', '-1', '--format=%s', 'main').trim(), `offboard ${tenant}/prod`);
  const audit = await fleet.store.audit.list({ tenant, limit: 50 });
  const entry = audit.items.find((a) => a.action === 'gitops.repo.archived');
  assert.ok(entry, JSON.stringify(audit.items.map((a) => a.action)));
  assert.equal((entry.detail as { archivedTo?: string }).archivedTo, join(archive, archived[0]!));
});
