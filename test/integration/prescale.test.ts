// End to end on real parts: a real Prometheus loaded with a recorded production trace, the pre-scaler
// reading it through the HTTP API, decisions in a real PostgreSQL, and a real HPA on a testbed cluster.
// An injected clock walks the pre-scaler across a day of the trace: it must raise minReplicas before the
// daily peak and release it to the floor after, never touching the HPA's metrics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PrometheusClient } from '../../src/adapters/prometheus/client.ts';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { openPostgres, type Db } from '../../src/adapters/store/db.ts';
import { loadMigrations, migrate } from '../../src/adapters/store/migrate.ts';
import { parseTraceCsv } from '../../src/forecast/csv.ts';
import { CachedHistory } from '../../src/scaling/history.ts';
import { KubeHpaPort } from '../../src/scaling/hpa.ts';
import { PRESCALER_FIELD_MANAGER } from '../../src/domain/types.ts';
import { Prescaler } from '../../src/scaling/prescaler.ts';
import { scalingRepo } from '../../src/adapters/store/scaling.ts';
import type { ScalingDecision, ScalingPolicy } from '../../src/domain/scaling.ts';
import { createNamespace, getTestbed, type TestNamespace } from '../helpers/testbed.ts';
import { dropDatabase } from '../helpers/db.ts';
import { join } from 'node:path';
import { tracesDir } from '../../bench/traces-dir.ts';

const TRACE = join(tracesDir(), 'input0.csv');
const samples = parseTraceCsv(readFileSync(TRACE, 'utf8'), 'input0.csv');
const t0 = samples[0]!.ts;
const HOUR = 3600;
// Day 6, 15:00 (quiet) to day 7, 20:00: the evening ramp, the night peak, the afternoon decline.
const FROM = t0 + 6 * 86_400 + 15 * HOUR;
const TO = t0 + 7 * 86_400 + 20 * HOUR;
const STEP = 600;
const CAPACITY = 50;
const FLOOR = 1;

function databaseUrl(): string {
  const url = process.env.FLEETPLANE_TEST_DATABASE_URL;
  if (!url) throw new Error('FLEETPLANE_TEST_DATABASE_URL is not set: run `eval "$(bash scripts/postgres.sh ensure)"` first (npm test does)');
  return url;
}

async function freshDatabase(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const url = databaseUrl();
  const name = `fp_prescale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openPostgres(u.toString(), 2);
  await migrate(db, (await loadMigrations()).filter((m) => m.id >= 100 && m.id < 120));
  return {
    db,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await dropDatabase(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

function hpaObject(ns: string) {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: ns },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: FLOOR, maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
  };
}

function deployment(ns: string) {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1', resources: { requests: { cpu: '100m' } } }] } },
    },
  };
}

type Hpa = ReturnType<typeof hpaObject> & { metadata: { managedFields?: Array<{ manager: string; fieldsV1?: unknown }> } };

describe('pre-scaler on a real Prometheus, PostgreSQL and testbed HPA', () => {
  let prom: RunningPrometheus;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let ns: TestNamespace;

  before(async () => {
    database = await freshDatabase();
    const [cluster] = (await getTestbed({ clusters: 1 })).clusters;
    ns = await createNamespace(cluster!, 'prescale');
    // The series carry the environment's namespace, as a real scrape of its pods does: the pre-scaler
    // reads only that namespace. A twin series in another namespace (10x the load) must not leak in.
    prom = await startPrometheusWith([
      { metric: 'fp_load', labels: { service: 'web', namespace: ns.name }, samples },
      { metric: 'fp_load', labels: { service: 'web', namespace: 'another-tenant-prod' }, samples: samples.map((x) => ({ ...x, value: x.value * 10 })) },
    ]);
    await ns.client.apply(deployment(ns.name));
    await ns.client.apply(hpaObject(ns.name));
  });
  after(async () => {
    await ns?.delete();
    await prom?.stop();
    await database?.drop();
  });

  it('raises minReplicas before the spike, releases it after, and records every decision', async () => {
    const store = scalingRepo(database.db);
    const policy: ScalingPolicy = {
      tenant: 'acme', environment: 'prod', mode: 'active',
      hpa: { cluster: ns.cluster.name, namespace: ns.name, name: 'web' },
      query: 'sum(fp_load{service="web"})', floor: FLOOR, ceiling: 8, capacityPerPod: CAPACITY,
      leadTimeSeconds: 300, cooldownMinutes: 30, hysteresis: 0.1, quantile: 0.9, historyDays: 14, stepSeconds: 60,
    };
    await store.putPolicy(policy);
    let now = new Date(FROM * 1000);
    const history = new CachedHistory(new PrometheusClient({ url: prom.url }));
    const prescaler = new Prescaler({
      history,
      hpa: new KubeHpaPort(() => ns.client),
      store,
      now: () => now,
      placement: async () => ({ cluster: ns.cluster.name, namespace: ns.name }),
    });
    const timeline: Array<{ ts: number; d: ScalingDecision; onCluster: number }> = [];
    for (let ts = FROM; ts <= TO; ts += STEP) {
      now = new Date(ts * 1000);
      const [d] = await prescaler.runOnce();
      assert.ok(d, 'one enabled policy, one decision');
      assert.notEqual(d.action, 'error', d.reason);
      const hpa = await ns.client.get<Hpa>({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns.name, name: 'web' });
      // The cluster holds exactly what the pre-scaler decided (it applied whenever the value changed).
      assert.equal(hpa!.spec.minReplicas, d.minReplicas, `${now.toISOString()}: ${d.reason}`);
      assert.ok(d.minReplicas >= FLOOR);
      timeline.push({ ts, d, onCluster: hpa!.spec.minReplicas });
    }

    // One range call per pass: the first reads the whole window, later ones only the newest minutes.
    assert.equal(history.requests, timeline.length);
    const load = new Map(samples.map((s) => [s.ts, s.value]));
    const spikeStart = samples.find((s) => s.ts >= FROM && s.ts <= TO && s.value > FLOOR * CAPACITY)!.ts;
    const firstRaise = timeline.find((x) => x.d.action === 'raise');
    assert.ok(firstRaise, 'raised at some point');
    assert.ok(firstRaise.ts <= spikeStart, `raised at ${firstRaise.ts}, load first needed more than the floor at ${spikeStart}`);
    assert.ok(firstRaise.d.forecast!.upper > FLOOR * CAPACITY, 'the raise came from the forecast');
    const peak = Math.max(...timeline.map((x) => x.onCluster));
    assert.ok(peak >= 3, `peak minReplicas ${peak}`);
    // After the peak: released back to the floor once the forecast no longer needs more.
    const release = timeline.find((x) => x.ts > firstRaise.ts && x.d.action === 'release' && x.d.minReplicas === FLOOR);
    assert.ok(release, 'released to the floor after the spike');
    assert.ok(load.get(release.ts)! < FLOOR * CAPACITY, 'released only when the load fits the floor');
    assert.equal(timeline[timeline.length - 1]!.onCluster, FLOOR);

    // Reactive HPA untouched: metrics and maxReplicas as applied; the pre-scaler owns only spec.minReplicas.
    const hpa = await ns.client.get<Hpa>({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns.name, name: 'web' });
    assert.deepEqual(hpa!.spec.metrics, hpaObject(ns.name).spec.metrics);
    assert.equal(hpa!.spec.maxReplicas, 10);
    const mine = hpa!.metadata.managedFields!.find((m) => m.manager === PRESCALER_FIELD_MANAGER);
    assert.deepEqual(mine?.fieldsV1, { 'f:spec': { 'f:minReplicas': {} } });

    // Every decision is in PostgreSQL with its forecast and reason, newest first.
    const page = await store.decisions('acme', 'prod', { limit: 500 });
    assert.equal(page.items.length, timeline.length);
    assert.equal(page.items[0]!.at, new Date(TO * 1000).toISOString());
    for (const d of page.items) assert.ok(d.forecast && d.reason.length > 0 && d.forecast.horizons.length === 3);
  });
});
