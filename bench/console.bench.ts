// Console benchmark: first load of the fleet overview in headless Chromium (Debian's package via
// playwright-core) on loopback, at 300 and 10,000 environments seeded directly in the embedded store,
// next to the API's own time for the same requests (summary, attention page, recent operations,
// clusters), measured in the same run. First load = a fresh browser context (cold cache) from
// navigation until the counts and the attention list are on screen. Targets: < 1 s at 300, < 2 s
// at 10,000. Median of CONSOLE_BENCH_RUNS (default 5). ratio = first load / API time.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildApp } from '../src/api/app.ts';
import { openStore, type SqlStore } from '../src/adapters/store/index.ts';
import { apiDeps } from '../test/helpers/api-harness.ts';
import { freshEmbedded } from '../test/helpers/db.ts';
import { ROOT, launchBrowser } from '../test/browser/support.ts';

const SIZES = (process.env.CONSOLE_BENCH_SIZES ?? '300,10000').split(',').map(Number);
const RUNS = Number(process.env.CONSOLE_BENCH_RUNS ?? 5);
const TARGET_MS: Record<number, number> = { 300: 1000, 10000: 2000 };
const TOKEN = 'fp_console_bench_admin_token_0123456789';

if (!process.env.FLEETPLANE_CHROMIUM) {
  const out = execFileSync('bash', [join(ROOT, 'scripts/chromium.sh'), 'ensure'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.env.FLEETPLANE_CHROMIUM = /FLEETPLANE_CHROMIUM=(\S+)/.exec(out)?.[1] ?? '/usr/bin/chromium';
}
execFileSync('bash', [join(ROOT, 'scripts/console-build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** n environments, two per tenant, over 3 clusters; 5% Degraded, 1% Failed, 2% Drifted; n operations. */
async function seed(store: SqlStore, n: number): Promise<void> {
  const db = store.db;
  for (const c of ['bench-1', 'bench-2', 'bench-3']) {
    await store.clusters.upsert({ name: c, provider: 'local', region: 'r1', apiServer: 'https://127.0.0.1:1', labels: {}, role: 'shared', kubernetesVersion: 'v1.32.6' });
    await store.clusters.setCapacity(c, { cpuMillis: 64000, memoryBytes: 256 * 2 ** 30, gpus: 4, nodes: 8, reservedCpuMillis: 20000, reservedMemoryBytes: 80 * 2 ** 30, observedAt: new Date().toISOString() });
  }
  await db.query(`INSERT INTO tenants (slug, name, tier, channel) SELECT 't' || g, 'Tenant ' || g, 'shared', 'saas' FROM generate_series(1, $1::int) g`, [Math.ceil(n / 2)]);
  await db.query(
    `INSERT INTO environments (tenant, name, type, blueprint, version, cluster, namespace, delivery, health, conditions, applied_revision)
     SELECT 't' || ((g + 1) / 2), CASE WHEN g % 2 = 0 THEN 'prod' ELSE 'staging' END, 'prod', 'demo-app',
       CASE WHEN g % 3 = 0 THEN '1.4.0' ELSE '1.5.0' END, 'bench-' || (g % 3 + 1), 'ns-' || g, 'direct',
       CASE WHEN g % 100 = 0 THEN 'Failed' WHEN g % 20 = 0 THEN 'Degraded' ELSE 'Ready' END,
       CASE WHEN g % 20 = 0 THEN '[{"type":"Degraded","status":"True","reason":"VerifyFailed","message":"pod web: CrashLoopBackOff","lastTransitionTime":"2026-11-30T10:00:00Z"}]'::jsonb
            WHEN g % 50 = 7 THEN '[{"type":"Drifted","status":"True","reason":"DriftDetected","message":"Deployment/web changed (spec.replicas)","lastTransitionTime":"2026-11-30T10:00:00Z"}]'::jsonb
            ELSE '[]'::jsonb END, 'rev-' || g
     FROM generate_series(1, $1::int) g`, [n]);
  await db.query(
    `INSERT INTO operations (id, kind, tenant, environment, state, params, steps, finished_at)
     SELECT 'op-' || g, 'upgrade', 't' || ((g + 1) / 2), 'prod', CASE WHEN g % 100 = 0 THEN 'failed' ELSE 'succeeded' END, '{}'::jsonb,
       '[{"name":"verify","state":"succeeded","attempts":1}]'::jsonb, now() FROM generate_series(1, $1::int) g`, [n]);
}

async function apiTime(url: string): Promise<number> {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const t0 = performance.now();
  await Promise.all(['/v1/fleet/summary', '/v1/fleet/attention?limit=20', '/v1/operations?limit=8', '/v1/fleet/clusters?probe=true&limit=50']
    .map((p) => fetch(`${url}${p}`, { headers }).then(async (r) => { if (!r.ok) throw new Error(`${p}: ${r.status}`); await r.text(); })));
  return performance.now() - t0;
}

async function measure(n: number): Promise<{ firstLoadMs: number; apiMs: number; samples: number[] }> {
  const target = await freshEmbedded();
  const store = await openStore({ dataDir: target.dataDir });
  await store.migrate();
  await seed(store, n);
  await store.tokens.create({ name: 'bench', tenant: null, role: 'admin' }, TOKEN);
  const deps = await apiDeps(store, target.dataDir);
  const app = await buildApp(deps, { logger: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchBrowser();
  try {
    await apiTime(url); // warm the server's code paths once, as a running server is
    const api: number[] = [];
    for (let i = 0; i < RUNS; i++) api.push(await apiTime(url));
    const loads: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      // Signed in already (as after the login form): the token in sessionStorage, never in the URL.
      await ctx.addInitScript((t) => sessionStorage.setItem('fleetplane.token', t), TOKEN);
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(`${url}/`);
      await page.getByTestId('count-total').filter({ hasText: String(n) }).waitFor({ timeout: 60_000 });
      await page.getByTestId('attention').locator('tbody tr').first().waitFor({ timeout: 60_000 });
      const ms = performance.now() - t0;
      if (i > 0) loads.push(ms); // the first context also warms Chromium itself
      await ctx.close();
    }
    return { firstLoadMs: median(loads), apiMs: median(api), samples: loads.map((x) => Math.round(x)) };
  } finally {
    await browser.close();
    await app.close();
    await deps.changes.stop();
    await store.close();
    await target.cleanup();
  }
}

const results: Record<number, { firstLoadMs: number; apiMs: number; samples: number[] }> = {};
for (const n of SIZES) {
  results[n] = await measure(n);
  const r = results[n]!;
  process.stderr.write(`console bench: ${n} environments: first load ${r.firstLoadMs.toFixed(0)} ms (samples ${r.samples.join(', ')}), API ${r.apiMs.toFixed(0)} ms, target < ${TARGET_MS[n] ?? '?'} ms\n`);
}
const big = SIZES[SIZES.length - 1]!;
const r = results[big]!;
const line: Record<string, unknown> = {
  bench: 'console', metric: `overview first load, ${big} environments (headless Chromium, loopback)`, value: Math.round(r.firstLoadMs), unit: 'ms',
  baseline: `API time for the overview's 4 requests, ${big} environments`, baseline_value: Math.round(r.apiMs), ratio: Number((r.firstLoadMs / r.apiMs).toFixed(2)),
};
line.target = SIZES.map((n) => `< ${TARGET_MS[n] ?? '?'} ms at ${n}`).join(', ');
line.meets_target = SIZES.every((n) => !TARGET_MS[n] || results[n]!.firstLoadMs < TARGET_MS[n]!);
for (const n of SIZES) {
  const x = results[n]!;
  line[`first_load_ms_${n}`] = Math.round(x.firstLoadMs);
  line[`api_ms_${n}`] = Math.round(x.apiMs);
  line[`target_ms_${n}`] = TARGET_MS[n] ?? null;
  line[`meets_target_${n}`] = TARGET_MS[n] ? x.firstLoadMs < TARGET_MS[n]! : null;
}
console.log(JSON.stringify(line));
