// Memory at scale: the RSS of one whole `fleetplane serve` process (API, engine workers, reconcile,
// rollout controller, metering) on PostgreSQL holding 10,000 environments with 300 operations running.
// 9,700 environments are seeded in the store (bench/lib/fleet.ts, on clusters that do not answer);
// 300 are onboarded through the API (60 tenants × 5) onto the testbed clusters with a release whose
// image never becomes Ready, so all 300 onboarding operations stay running (delivered, then waiting in
// verify) while the RSS is sampled for BENCH_MEMORY_HOLD seconds (default 60; reconcile every 20 s, so
// passes over all 10,000 environments fall inside it). Baseline, same run: the same serve on an empty
// store, idle for the same time. Target: < 300 MB. Needs PostgreSQL and the testbed (3 clusters).
import { openStore } from '../src/adapters/store/index.ts';
import { mapLimit } from '../src/adapters/kube/index.ts';
import { freshPostgres } from '../test/helpers/db.ts';
import { ensurePostgres, MIB, newSecretKey, rssBytes, rssSampler, seedFleet, serveModeNote, startServe } from './lib/fleet.ts';
import { round } from './lib/summary.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const SEEDED_TENANTS = 388;
const PER_TENANT = 25; // 388 × 25 = 9,700 seeded
const LIVE_TENANTS = Number(process.env.BENCH_MEMORY_LIVE_TENANTS ?? 60);
const LIVE_ENVS = [['prod', 'prod'], ['staging', 'staging'], ['dev', 'dev'], ['qa', 'dev'], ['demo', 'dev']] as const;
const HOLD_S = Number(process.env.BENCH_MEMORY_HOLD ?? 60);
// The hold starts when all 300 are past delivery, or after this many seconds with those that are (the
// figure then says how many): on a loaded testbed the last ones can take long to be delivered.
const RAMP_S = Number(process.env.BENCH_MEMORY_RAMP ?? 600);
const TARGET_MB = 300;
// BENCH_TENANT_PREFIX (default mem): the live tenants' slug prefix on the shared testbed.
const tag = Math.random().toString(36).slice(2, 6);
const PREFIX = process.env.BENCH_TENANT_PREFIX ?? 'mem';
const log = (msg: string) => process.stderr.write(`memory bench: ${msg}\n`);
// 64 worker slots: how an operator sizes one serve for a 300-environment wave (the onboarding bench's setting).
const SERVE_ENV = { FLEETPLANE_VERIFY_TIMEOUT: '30m', FLEETPLANE_RECONCILE_INTERVAL: '20s', FLEETPLANE_LOG_LEVEL: 'error', FLEETPLANE_WORKER_CONCURRENCY: '64' };

/** RSS of serve on an empty store, idle for HOLD_S (max and last sample). */
async function idleBaseline(): Promise<{ max: number; last: number }> {
  const db = await freshPostgres();
  try {
    const serve = await startServe({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey: newSecretKey(), adminToken: `fp_${newSecretKey()}` }, SERVE_ENV);
    try {
      const s = rssSampler(serve.pid);
      await sleep(HOLD_S * 1000);
      return s.stop();
    } finally {
      await serve.stop();
    }
  } finally {
    await db.cleanup();
  }
}

// In flight and past delivery: verify running in a worker, or parked until its next check (the
// operation is then 'pending' again with its verify step 'waiting', ADR 0503, and frees its worker).
const RUNNING_IN_VERIFY = `SELECT count(*)::int AS n FROM operations o
  WHERE o.kind = 'onboard' AND o.state IN ('pending', 'running')
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(o.steps) s WHERE s->>'name' = 'verify' AND s->>'state' IN ('running', 'waiting'))`;
const IN_FLIGHT = `SELECT count(*)::int AS n FROM operations WHERE state IN ('pending', 'running')`;

async function atScale(): Promise<{ max: number; atHoldEnd: number; running: number; environments: number; rampSeconds: number; delivered: number; byState: string; heapUsedMax: number }> {
  const { getTestbed } = await import('../test/helpers/testbed.ts');
  const { api, prepareFleet, release } = await import('../test/integration/engine.fixture.ts');
  const tb = await getTestbed({ clusters: 3 });
  const db = await freshPostgres();
  const secretKey = newSecretKey();
  const adminToken = `fp_${newSecretKey()}`;
  const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey, maxConnections: 2 });
  const slugs = Array.from({ length: LIVE_TENANTS }, (_, i) => `${PREFIX}${tag}-${i}`);
  try {
    await store.migrate();
    await seedFleet(store, { tenants: SEEDED_TENANTS, perTenant: PER_TENANT, prefix: `seed${tag}` });
    log(`${SEEDED_TENANTS * PER_TENANT} environments seeded; starting serve`);
    const serve = await startServe({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey, adminToken }, SERVE_ENV);
    const rss = rssSampler(serve.pid);
    try {
      const client = api(serve.url, adminToken);
      await prepareFleet(client, tb.clusters, release('1.0.0', '1.0.0-never-ready'));
      const t0 = performance.now();
      const res = await mapLimit(slugs, 8, async (slug, i) => {
        const r = await client.call('POST', '/v1/tenants', {
          slug, name: slug, tier: 'shared',
          environments: LIVE_ENVS.map(([name, type]) => ({ name, type, blueprint: 'demo-app', version: '1.0.0', cluster: tb.clusters[i % tb.clusters.length]!.name })),
        });
        if (r.status !== 202) throw new Error(`${slug}: ${r.status} ${JSON.stringify(r.body)}`);
      });
      const bad = res.find((r) => !r.ok);
      if (bad && !bad.ok) throw bad.error;
      const live = LIVE_TENANTS * LIVE_ENVS.length;
      let delivered = 0;
      for (let i = 0; ; i++) {
        delivered = (await store.db.query<{ n: number }>(RUNNING_IN_VERIFY)).rows[0]!.n;
        if (delivered >= live || performance.now() - t0 > RAMP_S * 1000) break;
        if (i % 20 === 0) log(`${delivered} of ${live} operations delivered and running (verify), RSS ${round((rssBytes(serve.pid) ?? 0) / MIB, 1)} MiB`);
        await sleep(500);
      }
      const rampSeconds = (performance.now() - t0) / 1000;
      log(`${delivered} of ${live} operations past delivery after ${rampSeconds.toFixed(1)} s; holding ${HOLD_S} s`);
      // The V8 heap in use during the hold (serve's own process metrics), to size the heap cap against.
      let heapUsedMax = 0;
      for (const until = performance.now() + HOLD_S * 1000; performance.now() < until;) {
        const text = await fetch(`${serve.url}/metrics`).then((x) => x.text(), () => '');
        const m = /^fleetplane_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
        if (m) heapUsedMax = Math.max(heapUsedMax, Number(m[1]));
        await sleep(5000);
      }
      const running = (await store.db.query<{ n: number }>(IN_FLIGHT)).rows[0]!.n;
      const environments = (await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM environments')).rows[0]!.n;
      // Where the live operations are at the end (a bench that loses some must say where they went).
      const states = (await store.db.query<{ state: string; n: number; error: string | null }>(
        `SELECT state, count(*)::int AS n, min(left(error, 300)) AS error FROM operations WHERE tenant LIKE $1 GROUP BY state ORDER BY state`, [`${PREFIX}${tag}-%`])).rows;
      const byState = states.map((x) => `${x.state} ${x.n}${x.error ? ` (e.g. ${x.error})` : ''}`).join('; ');
      log(`live operations by state: ${byState}`);
      const r = rss.stop();
      return { max: r.max, atHoldEnd: r.last, running, environments, rampSeconds, delivered, byState, heapUsedMax };
    } finally {
      rss.stop();
      await serve.stop();
      const { rows } = await store.db.query<{ cluster: string; namespace: string }>(`SELECT cluster, namespace FROM environments WHERE tenant LIKE $1`, [`${PREFIX}${tag}-%`]);
      for (const c of tb.clusters) {
        await c.client().deleteAll(rows.filter((r) => r.cluster === c.name).map((r) => ({ apiVersion: 'v1', kind: 'Namespace', name: r.namespace })), { concurrency: 16, propagationPolicy: 'Background' });
      }
    }
  } finally {
    await store.close();
    await db.cleanup();
  }
}

ensurePostgres();
const base = await idleBaseline();
log(`baseline: serve on an empty store, idle: RSS max ${round(base.max / MIB, 1)} MiB`);
const scale = await atScale();
const mb = round(scale.max / MIB, 1);
const meets = scale.max < TARGET_MB * 1e6;
console.log(JSON.stringify({
  bench: 'memory', metric: `serve RSS (max), ${scale.environments} environments, ${scale.running} operations in flight (PostgreSQL)`, value: mb, unit: 'MiB',
  baseline: 'the same serve on an empty store, idle', baseline_value: round(base.max / MIB, 1), ratio: round(scale.max / base.max),
  target: `< ${TARGET_MB} MB`, meets_target: meets,
  figures: [
    { name: 'serve RSS, max from start through the hold', value: mb, unit: 'MiB', baseline: 'empty store, idle', baseline_value: round(base.max / MIB, 1), target: `< ${TARGET_MB} MB`, meets_target: meets },
    { name: `serve RSS at the end of the ${HOLD_S} s hold`, value: round(scale.atHoldEnd / MIB, 1), unit: 'MiB', baseline: 'empty store, idle', baseline_value: round(base.last / MIB, 1) },
    { name: 'V8 heap in use, max during the hold (serve /metrics)', value: round(scale.heapUsedMax / MIB, 1), unit: 'MiB' },
    { name: 'environments in the store', value: scale.environments },
    { name: 'operations in flight at the end of the hold: delivered, verifying or parked in verify (none lost or failed)', value: scale.running, target: `${LIVE_TENANTS * LIVE_ENVS.length}`, meets_target: scale.running === LIVE_TENANTS * LIVE_ENVS.length, reliability: true },
    { name: `onboardings past delivery (verifying) when the hold began, after ${round(scale.rampSeconds, 1)} s`, value: scale.delivered, target: `${LIVE_TENANTS * LIVE_ENVS.length}` },
  ],
  note: `${SEEDED_TENANTS * PER_TENANT} environments seeded straight into the store and ${LIVE_TENANTS * LIVE_ENVS.length} onboarded through the API onto the 3 testbed clusters `
    + `with a never-ready image (each operation delivers its objects and then waits in verify: a running operation). serve with its defaults but 64 worker slots (FLEETPLANE_WORKER_CONCURRENCY=64; the 300 then reach verify in minutes), `
    + `FLEETPLANE_VERIFY_TIMEOUT=30m, FLEETPLANE_RECONCILE_INTERVAL=20s. RSS sampled every 200 ms from /proc/<pid>/status. ${serveModeNote()} The live operations by state at the end: ${scale.byState}.`
    + (meets ? '' : ` Missed by ${round(mb - TARGET_MB / 1.048576, 1)} MiB (${round(scale.max / (TARGET_MB * 1e6), 2)}× the target).`),
  hold_seconds: HOLD_S,
}));
process.exit(0);
