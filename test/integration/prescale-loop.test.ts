// The pre-scaler as `serve` runs it (startPrescalerLoop): a registered cluster's stored credentials,
// the policy in the real store on PostgreSQL, a real Prometheus, a real HPA; and the advisory lock that
// lets only one process run a pass.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { parseTraceCsv } from '../../src/forecast/csv.ts';
import { LOCK_KEYS } from '../../src/adapters/store/locks.ts';
import { startPrescalerLoop } from '../../src/scaling/loop.ts';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';
import { createNamespace, getTestbed, type TestNamespace } from '../helpers/testbed.ts';
import { join } from 'node:path';
import { tracesDir } from '../../bench/traces-dir.ts';

const samples = parseTraceCsv(readFileSync(join(tracesDir(), 'input0.csv'), 'utf8'), 'input0.csv');
// Day 7, 00:30: the night peak is building (about 90 and rising) on a service sized at 50 per pod.
const NOW = samples[0]!.ts + 7 * 86_400 + 1800;

describe('pre-scaler loop wiring', () => {
  let tdb: TestDatabase;
  let store: SqlStore;
  let prom: RunningPrometheus;
  let ns: TestNamespace;

  before(async () => {
    tdb = await freshPostgres();
    store = await openStore({ databaseUrl: tdb.databaseUrl, dataDir: tdb.dataDir });
    await store.migrate();
    const [cluster] = (await getTestbed({ clusters: 1 })).clusters;
    ns = await createNamespace(cluster!, 'prescale-loop');
    prom = await startPrometheusWith([{ metric: 'fp_load', labels: { service: 'api', namespace: ns.name }, samples }]);
    // acme/prod runs in the test namespace; evil/prod elsewhere. evil's policy (written straight to the
    // store, as one saved before the API checked targets) aims at acme's HPA with a floor of 9.
    for (const [tenant, namespace] of [['acme', ns.name], ['evil', 'evil-prod']] as const) {
      await store.tenants.create({ slug: tenant, name: tenant, tier: 'shared', channel: 'saas', labels: {} });
      await store.environments.create({
        tenant, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {},
        placement: { cluster: cluster!.name, namespace }, delivery: 'direct', selfHeal: false, health: 'Ready', conditions: [],
      });
    }
    await store.clusters.upsert({
      name: cluster!.name, provider: 'local', region: 'local', labels: {}, role: 'shared', apiServer: cluster!.apiServer,
      credentials: readFileSync(cluster!.kubeconfig, 'utf8'),
    });
    await ns.client.apply({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'api', namespace: ns.name },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
    });
    await store.scaling.putPolicy({
      tenant: 'acme', environment: 'prod', mode: 'active', hpa: { cluster: cluster!.name, namespace: ns.name, name: 'api' },
      query: 'sum(fp_load{service="api"})', floor: 1, ceiling: 8, capacityPerPod: 50, leadTimeSeconds: 300,
      cooldownMinutes: 15, hysteresis: 0.1, quantile: 0.9, historyDays: 14, stepSeconds: 60,
    });
    await store.scaling.putPolicy({
      tenant: 'evil', environment: 'prod', mode: 'active', hpa: { cluster: cluster!.name, namespace: ns.name, name: 'api' },
      query: 'sum(fp_load)', floor: 9, ceiling: 10, capacityPerPod: 1, leadTimeSeconds: 300,
      cooldownMinutes: 15, hysteresis: 0.1, quantile: 0.9, historyDays: 14, stepSeconds: 60,
    });
  });
  after(async () => {
    await ns?.delete();
    await prom?.stop();
    await store?.close();
    await tdb?.cleanup();
  });

  it('skips a pass while another process holds the lock, then raises the HPA from stored credentials', async () => {
    const loop = startPrescalerLoop({ store, prometheusUrl: prom.url, intervalMs: 3_600_000, now: () => new Date(NOW * 1000) });
    assert.ok(loop, 'starts when a Prometheus URL is given');
    try {
      const other = new pg.Client({ connectionString: tdb.databaseUrl });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEYS.prescaler.toString()]);
        assert.deepEqual(await loop.runOnce(), [], 'another process is running this pass');
        await other.query('COMMIT');
      } finally {
        await other.end();
      }
      const [d, evil] = await loop.runOnce();
      assert.equal(d?.action, 'raise', d?.reason);
      assert.equal(evil?.action, 'error');
      assert.match(evil!.reason, /outside the environment/);
      assert.equal(evil!.applied, false);
      assert.ok(d.minReplicas >= 2);
      const hpa = await ns.client.get<KubeObject & { spec: { minReplicas: number } }>({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns.name, name: 'api' });
      assert.equal(hpa!.spec.minReplicas, d.minReplicas, 'acme\'s own decision, not evil\'s floor of 9');
      assert.notEqual(hpa!.spec.minReplicas, 9);
      const recorded = await store.scaling.latest('acme', 'prod');
      assert.equal(recorded?.id, d.id);
    } finally {
      await loop.stop();
    }
    assert.equal(startPrescalerLoop({ store, prometheusUrl: '' }), null, 'no Prometheus, no loop');
  });
});
