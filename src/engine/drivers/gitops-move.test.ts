// The GitOps driver's copy-move methods (ADR 1030) against a local bare repo and in-memory API
// servers (Argo CD's namespace and the two clusters): the commits of a move in order, each re-run a
// no-op (no new commit), the repo's and the live ApplicationSet's elements through the move, a later
// delivery keeping the copy's Application and directory, and a failed move's copy removed with the
// source left as it was.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { GitRepos } from '../../adapters/git/index.ts';
import { SINGLETON_ANNOTATION, type Cluster, type Environment, type KubeObject, type ObjectRef, type Revision } from '../../domain/types.ts';
import { withSingletonsHeld } from '../../plan/move.ts';
import { applicationName, copyApplicationName } from '../../render/gitops/index.ts';
import { GitopsDriver, deliveredKey, holdsSingletons } from './gitops.ts';
import type { ClusterClient, DriverContext } from './types.ts';

function memoryKube(cluster: string): ClusterClient & { objects: Map<string, KubeObject>; deleted: string[] } {
  const key = (r: ObjectRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  const objects = new Map<string, KubeObject>();
  const deleted: string[] = [];
  return {
    cluster, objects, deleted,
    apply: async (o) => { objects.set(key({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }), o); return o; },
    mergePatch: async (r) => objects.get(key(r)) ?? null,
    get: async (r) => objects.get(key(r)) ?? null,
    list: async () => [],
    delete: async (r) => { deleted.push(key(r)); return objects.delete(key(r)); },
  };
}

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

const ns = 'acme-prod';
function revision(version: string): Revision {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { password: 'x' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { replicas: 2 } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'leader', namespace: ns, annotations: { [SINGLETON_ANNOTATION]: 'true' } }, spec: { replicas: 1 } },
  ];
  return { id: `r-${version}`, tenant: 'acme', environment: 'prod', blueprint: 'b', version, helmValues: [], objects: objects.map((object) => ({ object, hash: `h-${object.metadata.name}` })) };
}

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'h16g-gitops-move-unit-'));
  dirs.push(dataDir);
  const repos = new GitRepos({ dataDir });
  const argo = memoryKube('mgmt');
  const kubes: Record<string, ReturnType<typeof memoryKube>> = { 'fp-2': memoryKube('fp-2'), 'fp-3': memoryKube('fp-3') };
  const driver = new GitopsDriver({ repos, argoKube: () => argo, argocdNamespace: 'argo', archiveWhenEmpty: false, offboardTimeoutMs: 0 });
  const now = new Date('2026-12-03T12:00:00Z');
  const ctx = (cluster: string, kind = 'move'): DriverContext => {
    const environment: Environment = {
      tenant: 'acme', name: 'prod', type: 'prod', blueprint: 'b', version: '1', values: {}, placement: { cluster, namespace: ns }, delivery: 'gitops', selfHeal: false,
      health: 'Ready', conditions: [], resourceVersion: 1, createdAt: now.toISOString(), updatedAt: now.toISOString(),
    };
    const c: Cluster = { name: cluster, apiServer: `https://${cluster}`, provider: 'local', region: 'local', labels: {}, role: 'shared', createdAt: now.toISOString(), updatedAt: now.toISOString() };
    return { environment, cluster: c, kube: kubes[cluster]!, logger: pino({ level: 'silent' }), signal: new AbortController().signal, now: () => now, operation: { id: 'op-1', kind, workerId: 'w' } };
  };
  const gitOut = (...args: string[]) => execFileSync('git', ['--git-dir', repos.localPath('acme'), ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  const head = () => gitOut('rev-parse', 'main').trim();
  const files = () => gitOut('ls-tree', '-r', '--name-only', 'main').trim().split('\n');
  const show = (path: string) => gitOut('show', `main:${path}`);
  const liveApps = () => ((argo.objects.get('ApplicationSet/argo/acme')?.spec as { generators: Array<{ list: { elements: Array<{ app: string; path: string; cluster: string }> } }> }).generators[0]!.list.elements);
  const destinations = () => ((argo.objects.get('AppProject/argo/acme')?.spec as { destinations: Array<{ server: string }> }).destinations.map((d) => d.server));
  await driver.deliver(ctx('fp-2', 'onboard'), revision('1'), { revision: null, inventory: [] });
  return { driver, ctx, kubes, head, files, show, liveApps, destinations };
}

const src = applicationName('acme', 'prod');
const copy = copyApplicationName('acme', 'prod', 'fp-3');
const leaderFile = (files: string[], dir: string) => files.find((f) => f.startsWith(`${dir}/manifests/`) && f.endsWith('deployment-leader.yaml'))!;

test('a GitOps move in Git: copy held, source held, copy started, switch, source removed; every re-run commits nothing', async () => {
  const t = await setup();
  const rev = revision('1');
  const commits: string[] = [t.head()];
  const step = async (what: string, fn: () => Promise<unknown>) => {
    await fn();
    assert.notEqual(t.head(), commits.at(-1), `${what} commits`);
    commits.push(t.head());
    await fn();
    assert.equal(t.head(), commits.at(-1), `${what} re-run: no new commit`);
  };

  await step('move-deliver', () => t.driver.deliverCopy(t.ctx('fp-3'), withSingletonsHeld(rev)));
  assert.match(t.show(leaderFile(t.files(), 'environments/prod/copies/fp-3')), /replicas: 0/);
  assert.ok(t.files().includes('environments/prod/copies/fp-3/revision.json'));
  assert.equal((JSON.parse(t.show('environments/prod/copies/fp-3/revision.json')) as { singletonsHeld?: boolean }).singletonsHeld, true, 'the held copy says so (verify tells it from the started one)');
  assert.deepEqual(t.liveApps().map((e) => [e.app, e.path, e.cluster]).sort(), [[src, 'environments/prod/manifests', 'fp-2'], [copy, 'environments/prod/copies/fp-3/manifests', 'fp-3']].sort());
  assert.deepEqual(t.destinations().sort(), ['https://fp-2', 'https://fp-3'], 'the AppProject widened to the target');
  assert.equal(t.kubes['fp-3']!.objects.get(`Secret/${ns}/db`)?.kind, 'Secret', 'the Secret went to the target out of band');
  assert.ok(t.kubes['fp-3']!.objects.has(`Namespace//${ns}`), 'the guard rails too');

  await step('move-stop-source', () => t.driver.holdSource(t.ctx('fp-2'), withSingletonsHeld(rev)));
  assert.match(t.show(leaderFile(t.files(), 'environments/prod')), /replicas: 0/);
  assert.ok(t.files().includes('environments/prod/copies/fp-3/revision.json'), 'the copy stays');

  await step('move-start-target', () => t.driver.deliverCopy(t.ctx('fp-3'), rev));
  assert.match(t.show(leaderFile(t.files(), 'environments/prod/copies/fp-3')), /replicas: 1/);
  assert.equal((JSON.parse(t.show('environments/prod/copies/fp-3/revision.json')) as { singletonsHeld?: boolean }).singletonsHeld, undefined);

  await step('move-switch', () => t.driver.promoteCopy(t.ctx('fp-3')));
  const home = JSON.parse(t.show('environments/prod/revision.json')) as { application: string; manifestsDir: string; placement: { cluster: string } };
  assert.deepEqual([home.application, home.manifestsDir, home.placement.cluster], [copy, 'environments/prod/copies/fp-3/manifests', 'fp-3']);
  assert.ok(!t.files().includes('environments/prod/copies/fp-3/revision.json'));
  assert.ok(t.files().some((f) => f.startsWith('environments/prod/manifests/')), 'the source manifests stay (held) until the removal');
  assert.doesNotMatch(t.show('argocd/applicationset.yaml'), new RegExp(src), "the repo's ApplicationSet no longer yields the source's Application");

  await step('move-remove', () => t.driver.removeSource(t.ctx('fp-2'), [{ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }]));
  assert.ok(!t.files().some((f) => f.startsWith('environments/prod/manifests/')), 'the source directory is gone');
  assert.deepEqual(t.liveApps().map((e) => e.app), [copy], 'the live ApplicationSet yields only the copy');
  assert.deepEqual(t.destinations(), ['https://fp-3'], 'the AppProject narrowed');
  assert.ok(t.kubes['fp-2']!.deleted.includes(`Secret/${ns}/db`) && t.kubes['fp-2']!.deleted.includes(`Namespace//${ns}`), 'out-of-band objects deleted from the source');
  assert.equal(commits.length - 1, 5, 'five commits: copy held, source held, copy started, switch, removal');

  // A later delivery keeps the copy's Application and directory.
  await t.driver.deliver(t.ctx('fp-3', 'upgrade'), revision('2'), { revision: rev, inventory: [] });
  const later = JSON.parse(t.show('environments/prod/revision.json')) as { application: string; manifestsDir: string; revision: string };
  assert.deepEqual([later.revision, later.application, later.manifestsDir], ['r-2', copy, 'environments/prod/copies/fp-3/manifests']);
  assert.ok(!t.files().some((f) => f.startsWith('environments/prod/manifests/')));
  assert.deepEqual(t.liveApps().map((e) => [e.app, e.path]), [[copy, 'environments/prod/copies/fp-3/manifests']]);
});

test('a failed move before the switch: the copy is removed, the source is left as it was', async () => {
  const t = await setup();
  const rev = revision('1');
  const start = t.head();
  const tree = t.files().sort();
  await t.driver.deliverCopy(t.ctx('fp-3'), withSingletonsHeld(rev));
  await t.driver.holdSource(t.ctx('fp-2'), withSingletonsHeld(rev));
  const res = await t.driver.removeCopy(t.ctx('fp-3'), [{ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'db' }]);
  assert.deepEqual(res.pending, []);
  await t.driver.holdSource(t.ctx('fp-2'), rev);
  assert.notEqual(t.head(), start);
  assert.deepEqual(t.files().sort(), tree, 'the tree has the source only');
  assert.match(t.show(leaderFile(t.files(), 'environments/prod')), /replicas: 1/, 'the singleton back at its replicas');
  assert.deepEqual(t.liveApps().map((e) => e.app), [src]);
  assert.deepEqual(t.destinations(), ['https://fp-2']);
  assert.ok(t.kubes['fp-3']!.deleted.includes(`Namespace//${ns}`), "the target's out-of-band objects deleted");
  assert.ok(!t.kubes['fp-2']!.deleted.includes(`Namespace//${ns}`), 'the source untouched');
  await assert.rejects(t.driver.removeSource(t.ctx('fp-2'), []), /still on fp-2/, 'the source is never removed while it is home');
});

test('verify tells a commit with the singletons held from the one that started them (same revision id)', () => {
  const rev = revision('1');
  assert.equal(holdsSingletons(rev), false);
  assert.equal(holdsSingletons(withSingletonsHeld(rev)), true);
  assert.equal(holdsSingletons({ ...withSingletonsHeld(rev), hibernated: true }), false, 'hibernation holds everything and is marked as such');
  const keys = [deliveredKey({ revision: 'r' }), deliveredKey({ revision: 'r', singletonsHeld: true }), deliveredKey({ revision: 'r', hibernated: true })];
  assert.equal(new Set(keys).size, 3, keys.join(' | '));
});
