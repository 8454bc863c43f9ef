// The engine's cluster inventory against a real testbed cluster and the real store: capacity from
// the kwok nodes, reserved CPU/memory from Fleetplane-managed ResourceQuotas only, recorded on the
// cluster; an unreachable cluster is skipped (its last observation kept), never fatal.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import type { KubeObject } from '../../src/domain/types.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { ClusterConnections } from '../../src/adapters/kube/index.ts';
import { ClusterInventory } from '../../src/engine/cluster-inventory.ts';
import { clusterUp } from '../../src/metrics/engine.ts';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';
import { getTestbed, withNamespace, type TestCluster } from '../helpers/testbed.ts';

let db: TestDatabase;
let store: SqlStore;
let cluster: TestCluster;

const ghostKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: ghost, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: ghost, context: {cluster: ghost, user: u}}]
current-context: ghost
`;

before(async () => {
  cluster = (await getTestbed()).clusters[0]!;
  db = await freshPostgres();
  store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: 'd'.repeat(64), maxConnections: 2 });
  await store.migrate();
  const base = { provider: 'local' as const, region: 'local', role: 'shared', labels: {} };
  await store.clusters.upsert({ ...base, name: cluster.name, apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8') });
  await store.clusters.upsert({ ...base, name: 'ghost', apiServer: 'https://127.0.0.1:1', credentials: ghostKubeconfig, capacity: { cpuMillis: 1000, memoryBytes: 0, gpus: 0, nodes: 1 } });
});

after(async () => {
  await store?.close();
  await db?.cleanup();
});

test('records node capacity and what Fleetplane quotas reserve; skips an unreachable cluster', async () => {
  const inventory = new ClusterInventory({ store, connections: new ClusterConnections(store.clusters), logger: pino({ level: 'silent' }), now: () => new Date() }, 0);
  await withNamespace(cluster, 'inv', async (ns) => {
    const quota = (name: string, cpu: string, managed: boolean): KubeObject => ({
      apiVersion: 'v1', kind: 'ResourceQuota',
      metadata: { name, namespace: ns.name, labels: managed ? { 'app.kubernetes.io/managed-by': 'fleetplane' } : { team: 'other' } },
      spec: { hard: { 'requests.cpu': cpu, 'requests.memory': '6Gi' } },
    });
    await ns.client.apply(quota('env-quota', '3', true));
    // Not Fleetplane's: huge, so counting it by mistake could not hide among other tests' quotas.
    await ns.client.apply(quota('someone-elses', '100000', false));

    const seen = await inventory.refreshAll();
    const cap = seen.get(cluster.name);
    assert.ok(cap, `refreshed ${cluster.name}`);
    assert.equal(cap.nodes, 8);
    assert.equal(cap.gpus, 12);
    assert.ok(cap.cpuMillis > 60_000, JSON.stringify(cap));
    assert.ok((cap.reservedCpuMillis ?? 0) >= 3000, 'the managed quota is counted');
    assert.ok((cap.reservedCpuMillis ?? 0) < 100_000_000, 'the unmanaged quota is not');
    assert.ok((cap.reservedMemoryBytes ?? 0) >= 6 * 2 ** 30);
    assert.deepEqual((await store.clusters.get(cluster.name))?.capacity, cap, 'recorded on the cluster');

    assert.equal(seen.has('ghost'), false);
    const up = (await clusterUp.get()).values;
    assert.deepEqual([cluster.name, 'ghost'].map((name) => up.find((v) => v.labels.cluster === name)?.value), [1, 0], 'fleetplane_cluster_up follows each read');
    assert.deepEqual((await store.clusters.get('ghost'))?.capacity, { cpuMillis: 1000, memoryBytes: 0, gpus: 0, nodes: 1 }, 'last observation kept');
  });
  // Re-registering through the API path (no capacity given) keeps what the engine observed.
  const observed = (await store.clusters.get(cluster.name))?.capacity;
  await store.clusters.upsert({ provider: 'local', region: 'local', role: 'shared', labels: { team: 'x' }, name: cluster.name, apiServer: cluster.apiServer });
  assert.deepEqual((await store.clusters.get(cluster.name))?.capacity, observed);
});
