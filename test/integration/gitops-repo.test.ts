// GitOps driver against real git: commits land in the tenant's bare repo with the documented layout,
// re-delivery is a no-op, rollback is a revert whose tree equals the last good tree, no secret value
// ever reaches a blob, concurrent writers both land, offboarding archives the repo.
// Cluster-side behaviour (Secrets applied, health) is proven in gitops-e2e.test.ts on the testbed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeObject, ObjectRef } from '../../src/domain/types.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import type { ClusterClient } from '../../src/engine/drivers/types.ts';
import { git, makeContext, makeRevision, SECRET_VALUE } from './gitops-support.ts';

/** Records what the driver sends to the cluster (the git side is what this file tests). */
class RecordingKube implements ClusterClient {
  readonly cluster = 'c1';
  applied: KubeObject[] = [];
  deleted: ObjectRef[] = [];
  async apply(obj: KubeObject) { this.applied.push(obj); return obj; }
  async mergePatch() { return null; }
  async get() { return null; }
  async list() { return []; }
  async delete(ref: ObjectRef) { this.deleted.push(ref); return true; }
}

let dataDir: string;
let repos: GitRepos;
let driver: GitopsDriver;
const kube = new RecordingKube();
const cluster = { name: 'c1', apiServer: 'https://127.0.0.1:6443' };
const ctx = (env: string, kind = 'onboard', opId = `op-${env}-${kind}`) => makeContext({ tenant: 'acme', env, namespace: `acme-${env}`, cluster, kube, kind, opId });
const repo = () => join(dataDir, 'git', 'acme.git');
const count = () => Number(git(repo(), 'rev-list', '--count', 'main').trim());

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fp-gitops-repo-'));
  repos = new GitRepos({ dataDir });
  driver = new GitopsDriver({ repos });
});
after(async () => { await rm(dataDir, { recursive: true, force: true }); });

const prod1 = makeRevision({ tenant: 'acme', environment: 'prod', namespace: 'acme-prod', version: '1.4.0', withSecret: true });
const prod2 = makeRevision({ tenant: 'acme', environment: 'prod', namespace: 'acme-prod', version: '1.5.0', withSecret: true });
const staging1 = makeRevision({ tenant: 'acme', environment: 'staging', namespace: 'acme-staging', version: '1.4.0' });

test('onboard commits the documented layout with a meaningful message, trailers and author', async () => {
  const res = await driver.deliver(ctx('prod'), prod1);
  assert.equal(res.detail?.changed, true);
  assert.equal(git(repo(), 'rev-parse', 'main').trim(), res.detail?.commit);
  assert.deepEqual(git(repo(), 'ls-tree', '-r', '--name-only', 'main').trim().split('\n'), [
    'argocd/applicationset-charts.yaml', 'argocd/applicationset.yaml', 'argocd/appproject.yaml',
    'environments/prod/helm/cache.values.yaml',
    'environments/prod/manifests/00-deployment-web.yaml',
    'environments/prod/manifests/01-service-web.yaml',
    'environments/prod/revision.json',
  ]);
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `onboard acme/prod: blueprint default@1.4.0, revision ${prod1.id}`);
  assert.equal(git(repo(), 'log', '-1', '--format=%an <%ae>', 'main').trim(), 'Fleetplane <fleetplane@fleetplane.io>');
  const trailers = git(repo(), 'log', '-1', '--format=%(trailers:only,unfold)', 'main');
  assert.match(trailers, /^Fleetplane-Operation: op-prod-onboard$/m);
  assert.match(trailers, new RegExp(`^Fleetplane-Revision: ${prod1.id}$`, 'm'));
  // The Namespace (a guard rail) and the Secret went to the cluster, not to Git, with the namespace's
  // sync identity between them (sync-identity.ts: Argo CD's account, which cannot come from the repo);
  // the older layout's ClusterRole pair for the Namespace is deleted. The inventory lists both (for pruning).
  assert.deepEqual(kube.applied.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret']);
  assert.deepEqual(kube.deleted.map((r) => r.kind), ['ClusterRoleBinding', 'ClusterRole']);
  assert.ok(res.inventory.some((r) => r.kind === 'Secret' && r.name === 'web-db'));
  assert.ok(res.inventory.some((r) => r.kind === 'Namespace' && r.name === 'acme-prod'));
  const index = JSON.parse(git(repo(), 'show', 'main:environments/prod/revision.json')) as { guardRails: Array<{ kind: string; name: string }> };
  assert.deepEqual(index.guardRails, [{ apiVersion: 'v1', kind: 'Namespace', name: 'acme-prod' }]);
});

test('re-delivering the same revision makes no new commit', async () => {
  const before = count();
  const res = await driver.deliver(ctx('prod', 'onboard', 'op-retry'), prod1);
  assert.equal(res.detail?.changed, false);
  assert.equal(count(), before);
});

test('a second environment joins the ApplicationSet and the AppProject', async () => {
  await driver.deliver(ctx('staging'), staging1);
  const appset = parse(git(repo(), 'show', 'main:argocd/applicationset.yaml')) as { spec: { generators: Array<{ list: { elements: Array<Record<string, string>> } }> } };
  assert.deepEqual(appset.spec.generators[0]!.list.elements.map((e) => `${e.environment}@${e.namespace}`), ['prod@acme-prod', 'staging@acme-staging']);
  const project = parse(git(repo(), 'show', 'main:argocd/appproject.yaml')) as { spec: { destinations: unknown[]; sourceRepos: string[] } };
  assert.equal(project.spec.destinations.length, 2);
  assert.deepEqual(project.spec.sourceRepos, [repos.repoURL('acme'), 'oci://ghcr.io/fleetplane/charts']);
});

test('rollback is a revert commit whose tree equals the last good commit\'s tree', async () => {
  const good = git(repo(), 'rev-parse', 'main').trim();
  const up = await driver.deliver(ctx('prod', 'upgrade'), prod2, { revision: prod1, inventory: [] });
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), `upgrade acme/prod: blueprint default@1.5.0, revision ${prod2.id}`);
  const rb = await driver.rollback(ctx('prod', 'rollback'), prod1, { revision: prod2, inventory: up.inventory });
  assert.equal(rb.detail?.reverted, up.detail?.commit);
  assert.match(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), /^Revert "upgrade acme\/prod: blueprint default@1\.5\.0/);
  assert.match(git(repo(), 'log', '-1', '--format=%B', 'main'), new RegExp(`This reverts commit ${up.detail?.commit}`));
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), git(repo(), 'rev-parse', `${good}^{tree}`).trim());
});

test('a requested rollback (Operation kind rollback) is delivered as a revert commit as well', async () => {
  const good = git(repo(), 'rev-parse', 'main').trim();
  const up = await driver.deliver(ctx('prod', 'upgrade', 'op-up-2'), prod2, { revision: prod1, inventory: [] });
  const rb = await driver.deliver(ctx('prod', 'rollback', 'op-rb-2'), prod1, { revision: prod2, inventory: up.inventory });
  assert.equal(rb.detail?.reverted, up.detail?.commit);
  assert.match(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), /^Revert "upgrade acme\/prod/);
  assert.match(git(repo(), 'log', '-1', '--format=%B', 'main'), /^Fleetplane-Operation: op-rb-2$/m);
  assert.equal(git(repo(), 'rev-parse', 'main^{tree}').trim(), git(repo(), 'rev-parse', `${good}^{tree}`).trim());
});

test('no secret value in any blob of the repo history', () => {
  const everything = git(repo(), 'log', '-p', '--all', '--format=%B');
  assert.ok(everything.includes('web-db'), 'the Secret is referenced by name in revision.json');
  assert.ok(!everything.includes(SECRET_VALUE));
  assert.ok(!everything.includes(Buffer.from(SECRET_VALUE).toString('base64')));
  assert.ok(!/^\+kind: Secret$/m.test(everything));
});

test('concurrent writers from two processes both land (rejected push is retried on the new HEAD)', async () => {
  const other = new GitopsDriver({ repos: new GitRepos({ dataDir }) });
  const envs = ['dev1', 'dev2', 'dev3', 'dev4'];
  const before = count();
  await Promise.all(envs.map((env, i) => (i % 2 === 0 ? driver : other).deliver(ctx(env),
    makeRevision({ tenant: 'acme', environment: env, namespace: `acme-${env}`, version: '1.4.0' }))));
  assert.equal(count(), before + envs.length);
  const dirs = git(repo(), 'ls-tree', '--name-only', 'main', 'environments/').trim().split('\n');
  assert.deepEqual(dirs, ['environments/dev1', 'environments/dev2', 'environments/dev3', 'environments/dev4', 'environments/prod', 'environments/staging']);
  for (const env of envs) await driver.remove(ctx(env, 'offboard'), []);
});

test('offboard removes the environment directory; the last one archives the repo, history kept', async () => {
  const res = await driver.remove(ctx('staging', 'offboard'), []);
  assert.equal(res.detail?.archivedTo, null);
  assert.equal(git(repo(), 'log', '-1', '--format=%s', 'main').trim(), 'offboard acme/staging');
  assert.ok(!git(repo(), 'ls-tree', '-r', '--name-only', 'main').includes('environments/staging/'));
  const commits = count();
  const inventory = [{ apiVersion: 'v1', kind: 'Secret', namespace: 'acme-prod', name: 'web-db' }];
  const last = await driver.remove(ctx('prod', 'offboard'), inventory);
  // The Secret, an older layout's ClusterRole pair, then the Namespace (its guard rails and the sync identity go with it).
  assert.deepEqual(kube.deleted.slice(-4), [inventory[0], ...['ClusterRoleBinding', 'ClusterRole'].map((kind) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name: 'fleetplane-sync:acme-prod' })), { apiVersion: 'v1', kind: 'Namespace', name: 'acme-prod' }]);
  const archived = String(last.detail?.archivedTo);
  assert.match(archived, /\/git\/archive\/acme-\d{8}T\d{6}Z\.git$/);
  assert.ok(!existsSync(repo()));
  assert.equal(Number(git(archived, 'rev-list', '--count', 'main').trim()), commits + 1);
  assert.deepEqual(await readdir(join(dataDir, 'git', 'archive')), [archived.split('/').at(-1)]);
});

test('verify: not synced yet times out with the reason; an aborted signal throws instead (retry, not rollback)', async () => {
  const v = await driver.verify(ctx('prod'), prod1, { timeoutMs: 300, pollIntervalMs: 100 });
  assert.deepEqual([v.ready, v.reason, v.failing?.[0]?.reason], [false, 'Timeout', 'NotSynced']);
  const aborted = new AbortController();
  aborted.abort();
  const c = makeContext({ tenant: 'acme', env: 'prod', namespace: 'acme-prod', cluster, kube, signal: aborted.signal });
  await assert.rejects(driver.verify(c, prod1, { timeoutMs: 60_000 }), { name: 'AbortError' });
});

test('removing an environment of a tenant with no repo (never delivered, or archived) touches no Git', async () => {
  const res = await driver.remove(makeContext({ tenant: 'nogit', env: 'prod', namespace: 'nogit-prod', cluster, kube }), []);
  assert.deepEqual(res.detail, { commit: null, changed: false, archivedTo: null });
  assert.ok(!existsSync(join(dataDir, 'git', 'nogit.git')));
});

test('remote URLs with credentials never leak into errors', async () => {
  const remote = new GitRepos({ dataDir, remoteFor: () => ({ url: 'http://127.0.0.1:9/acme.git', credentials: { username: 'bot', password: 'tok-should-not-leak' } }) });
  const d = new GitopsDriver({ repos: remote });
  const err = await d.deliver(ctx('prod'), prod1).then(() => null, (e: unknown) => e as Error);
  assert.ok(err instanceof Error, 'delivery to an unreachable remote fails');
  assert.ok(!err.message.includes('tok-should-not-leak'));
  const withUserinfo = new GitRepos({ dataDir, remoteFor: () => ({ url: 'http://bot:tok-in-url@127.0.0.1:9/acme.git' }) });
  const err2 = await withUserinfo.read('acme', async () => null).then(() => null, (e: unknown) => e as Error);
  assert.ok(err2 instanceof Error);
  assert.ok(!err2.message.includes('tok-in-url'), err2.message);
  assert.equal(withUserinfo.repoURL('acme'), 'http://***@127.0.0.1:9/acme.git');
});

test('chart mirrors: the committed chart repo is the mirror, in revision.json, the -charts ApplicationSet and the AppProject', async () => {
  const mirrorDir = await mkdtemp(join(tmpdir(), 'fp-gitops-mirror-'));
  try {
    const mirror = 'http://charts.internal:8080';
    const d = new GitopsDriver({ repos: new GitRepos({ dataDir: mirrorDir }), chartMirrors: { 'oci://ghcr.io/fleetplane/charts': mirror } });
    const c = makeContext({ tenant: 'mirr', env: 'prod', namespace: 'mirr-prod', cluster, kube, kind: 'onboard', opId: 'op-mirror' });
    const rev = makeRevision({ tenant: 'mirr', environment: 'prod', namespace: 'mirr-prod', version: '1.4.0' });
    await d.deliver(c, rev);
    const bare = join(mirrorDir, 'git', 'mirr.git');
    const index = JSON.parse(git(bare, 'show', 'main:environments/prod/revision.json')) as { revision: string; helm: Array<{ repo: string }> };
    assert.deepEqual(index.helm.map((h) => h.repo), [mirror]);
    assert.equal(index.revision, rev.id, 'the revision id is unchanged');
    const charts = parse(git(bare, 'show', 'main:argocd/applicationset-charts.yaml')) as { spec: { generators: Array<{ list: { elements: Array<{ chartRepo: string }> } }> } };
    assert.deepEqual(charts.spec.generators[0]!.list.elements.map((e) => e.chartRepo), [mirror]);
    const project = parse(git(bare, 'show', 'main:argocd/appproject.yaml')) as { spec: { sourceRepos: string[] } };
    assert.ok(project.spec.sourceRepos.includes(mirror) && !project.spec.sourceRepos.some((r) => r.includes('ghcr.io')), project.spec.sourceRepos.join());
  } finally {
    await rm(mirrorDir, { recursive: true, force: true });
  }
});
