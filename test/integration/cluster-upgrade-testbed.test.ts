// Cluster lifecycle on real testbed clusters: the heartbeat reads /readyz and the version from
// fp-1 and a cluster of this file's own, marks an unreachable one Suspect then Unavailable after the
// bound (clock injected); an upgrade plan over the fleet puts this file's cluster (created at the
// previous minor) first as canary, upgrades it through the testbed provider, checks its
// environments are Ready (a real Deployment there stays Ready) and skips fp-1 (already current);
// a second plan whose canary cannot be upgraded halts with the provider's reason.
// The cluster is FLEETPLANE_TEST_LIFECYCLE_CLUSTER (default fp-7): created at the previous minor
// when absent, reused only when it is still there, and removed at the end. fp-1..fp-3 are never
// changed (only probed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { ClusterConnections, KubeClient, deploymentReadiness } from '../../src/adapters/kube/index.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { testbedUpgradeProvider } from '../../src/adapters/upgrade/testbed.ts';
import { createClusterUpgrade } from '../../src/api/services/cluster-lifecycle.ts';
import { ClusterInventory } from '../../src/engine/cluster-inventory.ts';
import { ClusterUpgradeController } from '../../src/engine/cluster-upgrades.ts';
import type { ClusterUpgrade } from '../../src/domain/cluster-upgrade.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS, buildAll, ensureTestbed, testbedDown, testbedStatus } from '../../testbed/index.ts';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { eventually as waitFor } from '../helpers/eventually.ts';

const NAME = process.env.FLEETPLANE_TEST_LIFECYCLE_CLUSTER ?? 'fp-7';
const FROM = KUBERNETES_VERSIONS[1]!;
const TO = DEFAULT_KUBE_VERSION;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });

let db: TestDatabase;
let store: SqlStore;
let shared: TestCluster;
let own: { kubeconfig: string; apiServer: string };
let clock = Date.now();
const now = () => new Date(clock);

const ghostKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: ghost, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: ghost, context: {cluster: ghost, user: u}}]
current-context: ghost
`;

const eventually = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => waitFor(what, probe);

// The previous minor's binaries may still be compiling (CI builds them in the background while the
// suite runs): wait for that build under the component's lock, outside any test's timeout.
before(() => buildAll({ only: [`kubernetes@${FROM}`], log: () => undefined }).then(() => undefined), { timeout: 60 * 60_000 });

before(async () => {
  shared = (await getTestbed()).clusters[0]!;
  const existing = (await testbedStatus()).find((s) => s.name === NAME);
  assert.ok(!existing || existing.version === FROM, `${NAME} exists at ${existing?.version}; remove it or set FLEETPLANE_TEST_LIFECYCLE_CLUSTER`);
  const [st] = existing ? [existing] : await ensureTestbed({ names: [NAME], version: FROM, buildRest: false, log: () => undefined });
  own = { kubeconfig: st!.kubeconfig, apiServer: st!.apiServer };
  db = await freshPostgres();
  store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'e'.repeat(64), maxConnections: 2 });
  await store.migrate();
  const base = { region: 'local', role: 'shared', labels: {} };
  await store.clusters.upsert({ ...base, provider: 'aws', name: shared.name, apiServer: shared.apiServer, credentials: await readFile(shared.kubeconfig, 'utf8') });
  await store.clusters.upsert({ ...base, provider: 'onprem', name: NAME, apiServer: own.apiServer, credentials: await readFile(own.kubeconfig, 'utf8') });
  await store.clusters.upsert({ ...base, provider: 'gcp', name: 'ghost', apiServer: 'https://127.0.0.1:1', credentials: ghostKubeconfig });
});

after(async () => {
  await store?.close();
  await db?.cleanup();
  await testbedDown([NAME]).catch(() => undefined);
});

test('heartbeat: versions and latency from real clusters; an unreachable one is Suspect, then Unavailable after the bound', async () => {
  const inventory = new ClusterInventory({ store, connections: new ClusterConnections(store.clusters), logger, now, config: { clusterUnavailableAfterMs: 60_000 } }, 0);
  await inventory.refreshAll();
  const a = (await store.clusters.get(shared.name))!.health!;
  assert.equal(a.state, 'Available');
  assert.equal(a.version, shared.version ?? TO);
  assert.ok((a.latencyMs ?? -1) >= 0);
  assert.equal((await store.clusters.get(NAME))!.health!.version, FROM);
  assert.equal((await store.clusters.get('ghost'))!.health!.state, 'Suspect');
  clock += 30_000;
  await inventory.refreshAll();
  assert.equal((await store.clusters.get('ghost'))!.health!.state, 'Suspect', '30 s is within the 60 s bound');
  clock += 31_000;
  await inventory.refreshAll();
  const g = (await store.clusters.get('ghost'))!.health!;
  assert.equal(g.state, 'Unavailable');
  assert.equal(g.reason, 'Unreachable');
  assert.equal(g.since, now().toISOString());
  assert.equal(g.consecutiveFailures, 3);
  await store.clusters.delete('ghost');
});

test(`upgrade plan: ${NAME} (${FROM}) is the canary and reaches ${TO} with its environment Ready; fp-1 is skipped; a failing canary halts the plan`, async () => {
  // A real workload on the cluster, and its environment record Ready.
  const client = KubeClient.fromKubeconfig({ path: own.kubeconfig });
  const ns = `lc-${Date.now().toString(36)}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await eventually('default service account', async () => (await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: 'default' })) ?? undefined);
  await client.apply({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1.0.0' }] } } },
  });
  const ready = async () => {
    const d = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    return d && deploymentReadiness(d as never).state === 'Ready' ? d : undefined;
  };
  const before = await eventually('Deployment Ready before the upgrade', ready);
  await store.tenants.create({ slug: 'acme', name: 'Acme', tier: 'shared', channel: 'saas', labels: {} });
  await store.environments.create({
    tenant: 'acme', name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: NAME, namespace: ns },
    delivery: 'direct', selfHeal: true, health: 'Ready', conditions: [],
  });

  const inventory = new ClusterInventory({ store, connections: new ClusterConnections(store.clusters), logger, now: () => new Date() }, 0);
  await inventory.refreshAll();
  const plan = await createClusterUpgrade(store, { target: TO, canary: NAME });
  assert.deepEqual(plan.plan.waves.map((w) => w.map((s) => s.cluster)), [[NAME]]);
  assert.deepEqual(plan.plan.skipped, [{ cluster: shared.name, reason: `already at ${shared.version ?? TO}` }]);

  const controller = new ClusterUpgradeController({
    store, provider: testbedUpgradeProvider(), heartbeat: (c) => inventory.heartbeat(c), logger, now: () => new Date(), verifyTimeoutMs: 180_000,
  }, 0);
  const t0 = Date.now();
  let u: ClusterUpgrade = plan;
  const seen: string[] = [];
  for (let i = 0; i < 400 && u.state === 'running'; i++) {
    u = await controller.advance((await store.clusterUpgrades.get(u.id))!);
    const s = u.progress[NAME]?.state ?? 'pending';
    if (seen[seen.length - 1] !== s) seen.push(s);
    if (u.state === 'running' && s === 'verifying') await sleep(500);
  }
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(u.state, 'succeeded', `${u.reason} ${JSON.stringify(u.progress)}`);
  assert.deepEqual(seen.filter((s) => s !== 'pending'), ['upgrading', 'verifying', 'done']);
  assert.equal((await client.version()).gitVersion, TO);
  assert.equal((await store.clusters.get(NAME))!.health!.version, TO);
  const after = await eventually('Deployment Ready after the upgrade', ready);
  assert.equal(after.metadata.uid, before.metadata.uid, 'same Deployment, same etcd');
  // fp-1 was only probed.
  assert.equal((await shared.client().version()).gitVersion, shared.version ?? TO);
  console.log(JSON.stringify({ upgrade: `${FROM}->${TO}`, cluster: NAME, seconds: Math.round(seconds) }));

  // A canary the provider cannot upgrade (a release the testbed does not build) halts the plan with the reason.
  const bad = await createClusterUpgrade(store, { target: 'v1.38.0', clusters: [NAME] });
  let b: ClusterUpgrade = bad;
  for (let i = 0; i < 5 && b.state === 'running'; i++) b = await controller.advance((await store.clusterUpgrades.get(b.id))!);
  assert.equal(b.state, 'failed');
  assert.match(b.reason ?? '', new RegExp(`^${NAME}: testbed provider: .*v1\\.38\\.0`));
  assert.equal((await client.version()).gitVersion, TO, 'nothing changed');
});
