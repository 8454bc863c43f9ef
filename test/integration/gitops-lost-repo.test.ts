// A tenant's local GitOps repo gone missing (a data volume not mounted, a directory removed by hand)
// must not be re-created empty: the next delivery would push a one-environment history over what
// Argo CD deploys for the tenant. With the tenant's AppProject on the real Argo CD cluster (fp-1) and
// no repo on disk, a delivery is refused with the reason and creates nothing (no repo, no namespace);
// a tenant Argo CD has never seen gets its repo on its first delivery, as before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GitRepos } from '../../src/adapters/git/index.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { GitopsDriver } from '../../src/engine/drivers/gitops.ts';
import { ARGOCD_NAMESPACE, argocdUp } from '../../testbed/index.ts';
import { testClusterClient } from '../helpers/cluster-client.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { removeTenantFromArgo } from './argocd-support.ts';
import { makeContext, makeRevision } from './gitops-support.ts';

const known = `lr${randomBytes(3).toString('hex')}`;
const fresh = `lf${randomBytes(3).toString('hex')}`;
let mgmt: KubeClient;
let dest: TestCluster;
let dataDir: string;
let repos: GitRepos;
let driver: GitopsDriver;
const project = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: known };

before(async () => {
  const tb = await getTestbed();
  await argocdUp({ log: (l) => console.error(l) });
  mgmt = tb.clusters[0]!.client();
  dest = tb.clusters[1]!;
  dataDir = await mkdtemp(join(tmpdir(), 'fp-lost-repo-'));
  repos = new GitRepos({ dataDir });
  const argo = testClusterClient(tb.clusters[0]!.name, mgmt);
  // No Argo CD sync is asked for here: the repos are local paths Argo CD never reads.
  driver = new GitopsDriver({ repos, argocdNamespace: ARGOCD_NAMESPACE, archiveWhenEmpty: false, argoKube: () => argo });
  await mgmt.apply({ apiVersion: project.apiVersion, kind: project.kind, metadata: { name: known, namespace: ARGOCD_NAMESPACE, labels: { 'fleetplane.io/tenant': known } }, spec: { sourceRepos: [], destinations: [] } });
});

after(async () => {
  await mgmt?.delete(project).catch(() => undefined);
  // In the driver's order (Applications before their AppProject), or they are stuck for good.
  if (mgmt) await removeTenantFromArgo(mgmt, fresh).catch(() => undefined);
  for (const t of [known, fresh]) await dest?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${t}-prod` }).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const deliver = (tenant: string) => {
  const namespace = `${tenant}-prod`;
  const ctx = makeContext({ tenant, env: 'prod', namespace, cluster: dest, kube: testClusterClient(dest.name, dest.client()), kind: 'upgrade', opId: `op-${tenant}` });
  return driver.deliver(ctx, makeRevision({ tenant, environment: 'prod', namespace, version: '1.0.1' }));
};

test('a missing repo of a tenant Argo CD knows is refused, and nothing is created', async () => {
  assert.equal(await repos.exists(known), false);
  await assert.rejects(deliver(known), /repository .* is missing, but Argo CD has its AppProject/);
  assert.equal(await repos.exists(known), false, 'no empty repo created');
  assert.equal(await dest.client().get({ apiVersion: 'v1', kind: 'Namespace', name: `${known}-prod` }), null, 'nothing applied');
});

test('a tenant Argo CD has never seen gets its repo on its first delivery', async () => {
  const res = await deliver(fresh);
  assert.equal(await repos.exists(fresh), true);
  assert.equal(res.detail?.changed, true);
  assert.ok(await mgmt.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', namespace: ARGOCD_NAMESPACE, name: fresh }), 'bootstrapped');
});
