// API benchmark: 10,000 environments (400 tenants × 25) in the store; a real `fleetplane serve` process
// answers `GET /v1/environments/{tenant}/{env}` and a paged list (`GET /v1/tenants/{tenant}/environments?limit=10`,
// first and second pages alternating) at a constant 1,000 requests/s from this process (open loop over Node's fetch, bench/lib/load.ts, ADR 0406),
// each request with the tenant-viewer token of its own tenant (400 tokens: the default per-token rate
// limit stays on and is never reached). p50/p99 latency, errors, and the server's RSS (max during the load).
// On PostgreSQL (a fresh database on the test server) and on PGlite (the embedded default store).
// Baseline, same run, same rows: a bare Fastify server (bench/lib/bare-server.ts) reading them with `pg`
// (PGlite for the embedded store), no auth and no hooks. Targets: p99 < 10 ms at 1,000 req/s, RSS < 300 MB.
// The serve process runs as an API process (FLEETPLANE_WORKERS=0, reconcile off): bench/memory.bench.ts
// measures the whole `serve` with its workers.
// BENCH_API_BACKENDS (postgres,embedded), BENCH_API_RATE (1000), BENCH_API_SECONDS (20), BENCH_API_WARMUP (5).
import { openStore } from '../src/adapters/store/index.ts';
import { freshEmbedded, freshPostgres, type TestDatabase } from '../test/helpers/db.ts';
import { ensurePostgres, MIB, newSecretKey, rssSampler, seedFleet, startChild, serveModeNote, startServe, type Child, type SeededFleet } from './lib/fleet.ts';
import { constantRate, type LoadResult, type LoadTarget } from './lib/load.ts';
import { round, type BenchFigure } from './lib/summary.ts';

const TENANTS = 400;
const PER_TENANT = 25;
const RATE = Number(process.env.BENCH_API_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_API_WARMUP ?? 5);
const PAGE = 10;
const BACKENDS = (process.env.BENCH_API_BACKENDS ?? 'postgres,embedded').split(',') as Array<'postgres' | 'embedded'>;
const P99_TARGET_MS = 10;
const RSS_TARGET_MB = 300;
const log = (msg: string) => process.stderr.write(`api bench: ${msg}\n`);

type Route = 'get' | 'list';
interface Measured { load: LoadResult; rssMaxMb: number; rssAfterMb: number }
type Server = 'fleetplane' | 'bare';
const results: Record<string, Record<Server, Record<Route, Measured>>> = {};

/** Random tenant i and environment j; the list alternates between its first and second page. */
function targets(fleet: SeededFleet, route: Route, cursorOf: (tenant: number) => string): () => LoadTarget {
  let n = 0;
  return () => {
    const i = Math.floor(Math.random() * fleet.tenants.length);
    const headers = { authorization: `Bearer ${fleet.tokens[i]!}` };
    const t = fleet.tenants[i]!;
    if (route === 'get') return { path: `/v1/environments/${t}/${fleet.envNames[Math.floor(Math.random() * fleet.envNames.length)]!}`, headers };
    n++;
    return { path: `/v1/tenants/${t}/environments?limit=${PAGE}${n % 2 === 0 ? `&cursor=${encodeURIComponent(cursorOf(i))}` : ''}`, headers };
  };
}

async function measure(server: Child, fleet: SeededFleet, cursorOf: (tenant: number) => string): Promise<Record<Route, Measured>> {
  const out = {} as Record<Route, Measured>;
  for (const route of ['get', 'list'] as const) {
    const rss = rssSampler(server.pid);
    const load = await constantRate(server.url, { rate: RATE, seconds: SECONDS, warmupSeconds: WARMUP, next: targets(fleet, route, cursorOf) });
    const r = rss.stop();
    out[route] = { load, rssMaxMb: round(r.max / MIB, 1), rssAfterMb: round(r.last / MIB, 1) };
    log(`  ${route}: p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms, ${load.achievedRate}/s, errors ${load.errors}, non-2xx ${load.non2xx} ${JSON.stringify(load.statusCodes)}, RSS max ${out[route].rssMaxMb} MiB`);
  }
  return out;
}

/** The Fleetplane cursor of each tenant's second page (the API's own opaque cursor). */
async function fleetplaneCursors(url: string, fleet: SeededFleet): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < fleet.tenants.length; i++) {
    const r = await fetch(`${url}/v1/tenants/${fleet.tenants[i]}/environments?limit=${PAGE}`, { headers: { authorization: `Bearer ${fleet.tokens[i]}` } });
    const body = await r.json() as { items: unknown[]; next?: string };
    if (r.status !== 200 || body.items.length !== PAGE || !body.next) throw new Error(`list of ${fleet.tenants[i]}: ${r.status} ${JSON.stringify(body).slice(0, 200)}`);
    out.push(body.next);
  }
  return out;
}

async function backend(kind: 'postgres' | 'embedded'): Promise<void> {
  const db: TestDatabase = kind === 'postgres' ? await freshPostgres() : await freshEmbedded();
  const secretKey = newSecretKey();
  try {
    const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey });
    let fleet: SeededFleet;
    try {
      await store.migrate();
      fleet = await seedFleet(store, { tenants: TENANTS, perTenant: PER_TENANT });
    } finally {
      await store.close(); // the embedded store is one process's: serve opens it next
    }
    log(`${kind}: ${TENANTS * PER_TENANT} environments, ${TENANTS} tenant tokens seeded`);
    const serve = await startServe({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey, adminToken: `fp_${newSecretKey()}` }, {
      FLEETPLANE_WORKERS: '0', FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_METERING_INTERVAL: '0',
    });
    let fp: Record<Route, Measured>;
    try {
      const cursors = await fleetplaneCursors(serve.url, fleet);
      log(`${kind}: fleetplane serve (pid ${serve.pid}), RSS idle ${round(rssSampler(serve.pid).stop().last / MIB, 1)} MiB`);
      fp = await measure(serve, fleet, (i) => cursors[i]!);
    } finally {
      await serve.stop();
    }
    const bare = await startChild('bench/lib/bare-server.ts', [], kind === 'postgres' ? { BARE_DATABASE_URL: db.databaseUrl! } : { BARE_DATA_DIR: db.dataDir });
    let base: Record<Route, Measured>;
    try {
      log(`${kind}: bare Fastify + ${kind === 'postgres' ? 'pg' : 'PGlite'} (pid ${bare.pid})`);
      base = await measure(bare, fleet, () => fleet.envNames[PAGE - 1]!);
    } finally {
      await bare.stop();
    }
    results[kind] = { fleetplane: fp, bare: base };
  } finally {
    await db.cleanup();
  }
}

if (BACKENDS.includes('postgres')) ensurePostgres();
for (const b of BACKENDS) await backend(b);

const label = (b: string) => (b === 'postgres' ? 'PostgreSQL' : 'PGlite');
const routeName: Record<Route, string> = { get: 'GET /v1/environments/{tenant}/{env}', list: `GET /v1/tenants/{tenant}/environments?limit=${PAGE} (pages 1 and 2)` };
const figures: BenchFigure[] = [];
const misses: string[] = [];
for (const [b, r] of Object.entries(results)) {
  for (const route of ['get', 'list'] as const) {
    const f = r.fleetplane[route];
    const base = r.bare[route];
    const baseName = `bare Fastify + ${b === 'postgres' ? 'pg' : 'PGlite'}`;
    const meetsP99 = f.load.latencyMs.p99 < P99_TARGET_MS && f.load.errors === 0 && f.load.non2xx === 0;
    figures.push(
      { name: `${label(b)}: ${routeName[route]} p50`, value: f.load.latencyMs.p50, unit: 'ms', baseline: baseName, baseline_value: base.load.latencyMs.p50 },
      { name: `${label(b)}: ${routeName[route]} p99`, value: f.load.latencyMs.p99, unit: 'ms', baseline: baseName, baseline_value: base.load.latencyMs.p99, target: `< ${P99_TARGET_MS} ms`, meets_target: meetsP99 },
      { name: `${label(b)}: ${routeName[route]} achieved rate`, value: f.load.achievedRate, unit: 'req/s', baseline: baseName, baseline_value: base.load.achievedRate, target: `${RATE} req/s` },
      { name: `${label(b)}: ${routeName[route]} errors + non-2xx`, value: f.load.errors + f.load.non2xx, baseline: baseName, baseline_value: base.load.errors + base.load.non2xx, target: '0', meets_target: f.load.errors + f.load.non2xx === 0, reliability: true },
      { name: `${label(b)}: ${routeName[route]} server RSS (max under load)`, value: f.rssMaxMb, unit: 'MiB', baseline: baseName, baseline_value: base.rssMaxMb, target: `< ${RSS_TARGET_MB} MB`, meets_target: f.rssMaxMb * MIB < RSS_TARGET_MB * 1e6 },
    );
    if (f.load.latencyMs.p99 >= P99_TARGET_MS) {
      misses.push(`${label(b)} ${routeName[route]}: p99 ${f.load.latencyMs.p99} ms is ${round(f.load.latencyMs.p99 - P99_TARGET_MS)} ms over the ${P99_TARGET_MS} ms target (${round(f.load.latencyMs.p99 / P99_TARGET_MS)}×); the bare route on the same rows in the same run has p99 ${base.load.latencyMs.p99} ms, so ${round(Math.min(1, base.load.latencyMs.p99 / f.load.latencyMs.p99) * 100, 0)}% of it is the machine, HTTP and database floor and the rest is Fleetplane's request path (auth lookup, rate limit, validation, hooks, mapping).`);
    }
    if (f.load.errors + f.load.non2xx > 0) misses.push(`${label(b)} ${routeName[route]}: ${f.load.errors} errors, ${f.load.non2xx} non-2xx (${JSON.stringify(f.load.statusCodes)}).`);
    if (f.rssMaxMb * MIB >= RSS_TARGET_MB * 1e6) misses.push(`${label(b)} ${routeName[route]}: RSS ${f.rssMaxMb} MiB is over ${RSS_TARGET_MB} MB (bare server: ${base.rssMaxMb} MiB).`);
  }
}
const main = results.postgres ?? results.embedded!;
const mainName = results.postgres ? 'PostgreSQL' : 'PGlite';
const meets = figures.every((f) => f.meets_target !== false);
console.log(JSON.stringify({
  bench: 'api', metric: `GET one environment, p99 at ${RATE} req/s, ${TENANTS * PER_TENANT} environments (${mainName})`, value: main.fleetplane.get.load.latencyMs.p99, unit: 'ms',
  baseline: `bare Fastify + ${results.postgres ? 'pg' : 'PGlite'}, same rows`, baseline_value: main.bare.get.load.latencyMs.p99,
  ratio: round(main.fleetplane.get.load.latencyMs.p99 / main.bare.get.load.latencyMs.p99),
  target: `p99 < ${P99_TARGET_MS} ms, RSS < ${RSS_TARGET_MB} MB, no errors (both stores, both routes)`, meets_target: meets, figures,
  note: [
    `Load: ${RATE} req/s open loop for ${SECONDS} s per route after ${WARMUP} s of warm-up (bench/lib/load.ts over Node's fetch, in the bench process; each server in its own process); `
      + `every request carries its tenant's viewer token (${TENANTS} tokens). serve runs with FLEETPLANE_WORKERS=0 (an API process; the memory bench measures a whole serve). ${serveModeNote()}`,
    ...(misses.length ? ['', 'Missed:', ...misses.map((m) => `- ${m}`)] : []),
  ].join('\n'),
  environments: TENANTS * PER_TENANT, rate: RATE, seconds: SECONDS, results,
}));
process.exit(0);
