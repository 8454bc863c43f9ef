// What the API and memory benchmarks share: a seeded fleet (tenants, environments, tenant tokens)
// written straight into the store, a real `fleetplane serve` child process on it, the RSS of a
// process from /proc, and PostgreSQL from scripts/postgres.sh.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateTokenSecret, type SqlStore } from '../../src/adapters/store/index.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** FLEETPLANE_TEST_DATABASE_URL, else `scripts/postgres.sh ensure` (the test server on 127.0.0.1:54329). */
export function ensurePostgres(): void {
  if (process.env.FLEETPLANE_TEST_DATABASE_URL) return;
  const out = execFileSync('bash', ['scripts/postgres.sh', 'ensure'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
}

export interface SeededFleet {
  tenants: string[];
  /** Environment names of each tenant (the same for all). */
  envNames: string[];
  /** One tenant-viewer token per tenant, in tenant order. */
  tokens: string[];
}

/**
 * `tenants` × `perTenant` environments (Ready, applied, direct delivery) over 3 clusters, written with
 * one INSERT … SELECT each, plus one tenant-viewer token per tenant (through the store, hashed).
 * The clusters point at nothing that answers (127.0.0.1:1): nothing here is delivered.
 */
export async function seedFleet(store: SqlStore, opts: { tenants: number; perTenant: number; prefix?: string }): Promise<SeededFleet> {
  const prefix = opts.prefix ?? 'bt';
  for (const c of ['bench-1', 'bench-2', 'bench-3']) {
    await store.clusters.upsert({ name: c, provider: 'local', region: 'r1', apiServer: 'https://127.0.0.1:1', labels: {}, role: 'shared', kubernetesVersion: 'v1.37.2' });
  }
  const db = store.db;
  await db.query(
    `INSERT INTO tenants (slug, name, tier, channel) SELECT $1 || g, 'Tenant ' || g, 'shared', 'saas' FROM generate_series(0, $2::int - 1) g`,
    [`${prefix}-`, opts.tenants],
  );
  await db.query(
    `INSERT INTO environments (tenant, name, type, blueprint, version, "values", cluster, namespace, delivery, health, conditions,
       desired_revision, applied_revision, last_good_revision)
     SELECT $1 || t, 'env-' || lpad(e::text, 3, '0'), CASE WHEN e = 0 THEN 'prod' WHEN e = 1 THEN 'staging' ELSE 'dev' END, 'demo-app', '1.0.0',
       '{"replicas": 2, "features": {"search": true}}'::jsonb, 'bench-' || ((t * $3::int + e) % 3 + 1), $1 || t || '-env-' || e, 'direct', 'Ready',
       '[{"type":"Ready","status":"True","reason":"Verified","message":"all workloads available","lastTransitionTime":"2026-12-01T10:00:00Z"}]'::jsonb,
       'rev-' || t || '-' || e, 'rev-' || t || '-' || e, 'rev-' || t || '-' || e
     FROM generate_series(0, $2::int - 1) t, generate_series(0, $3::int - 1) e`,
    [`${prefix}-`, opts.tenants, opts.perTenant],
  );
  const tenants = Array.from({ length: opts.tenants }, (_, i) => `${prefix}-${i}`);
  const tokens: string[] = [];
  for (const t of tenants) {
    const secret = generateTokenSecret();
    await store.tokens.create({ name: `bench-${t}`, tenant: t, role: 'tenant-viewer' }, secret);
    tokens.push(secret);
  }
  await db.query('ANALYZE');
  return { tenants, envNames: Array.from({ length: opts.perTenant }, (_, e) => `env-${String(e).padStart(3, '0')}`), tokens };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface Child {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * How the benches start servers. By default the compiled build, as the image and the Helm chart run it
 * (`node <build>/cli/main.js`, no TypeScript loader in the process, so the RSS and the start-up are the
 * product's), with the chart's default NODE_OPTIONS (`nodeOptions` in deploy/helm/fleetplane). The bare
 * baseline server is compiled the same way, so neither side carries tsx. `BENCH_SERVE_ENTRY=tsx`
 * starts the TypeScript sources through tsx instead (the development setup).
 */
export const SERVE_MODE: 'compiled' | 'tsx' = process.env.BENCH_SERVE_ENTRY === 'tsx' ? 'tsx' : 'compiled';
export const BENCH_BUILD = '.dist-bench';
/** The chart's default nodeOptions (deploy/helm/fleetplane/values.yaml), read so the two cannot drift. */
export function chartNodeOptions(): string {
  const values = readFileSync(join(ROOT, 'deploy/helm/fleetplane/values.yaml'), 'utf8');
  const m = /^nodeOptions:\s*"([^"]*)"/m.exec(values);
  if (!m) throw new Error('deploy/helm/fleetplane/values.yaml: no nodeOptions');
  return m[1]!;
}

function sourcesDigest(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|sql|json)$/.test(e.name)) h.update(rel).update(readFileSync(join(ROOT, rel)));
    }
  };
  walk('src');
  for (const f of ['bench/lib/bare-server.ts', 'tsconfig.json', 'tsconfig.build.json']) h.update(f).update(readFileSync(join(ROOT, f)));
  return h.digest('hex');
}

/** The compiled servers' NODE_OPTIONS: the chart's, or BENCH_NODE_OPTIONS to try others (an A/B of the caps). */
export const benchNodeOptions = (): string => process.env.BENCH_NODE_OPTIONS ?? chartNodeOptions();

/** Builds src/ (scripts/build.sh) and the bare server into .dist-bench once per source tree (a digest stamp). */
export function ensureBenchBuild(log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): void {
  if (SERVE_MODE === 'tsx') return;
  const stamp = join(ROOT, BENCH_BUILD, '.sources');
  const digest = sourcesDigest();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  log(`bench: compiling serve into ${BENCH_BUILD} (npm run build -- ${BENCH_BUILD})`);
  execFileSync('bash', ['scripts/build.sh', BENCH_BUILD], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), 'bench/lib/bare-server.ts', '--outDir', `${BENCH_BUILD}/bench`,
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--strict'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(stamp, digest);
}

/** The node arguments that run a TypeScript entry of this repository in the bench's mode. */
function entryArgv(tsEntry: string): { argv: string[]; env: Record<string, string> } {
  if (SERVE_MODE === 'tsx') return { argv: ['--import', 'tsx', tsEntry], env: {} };
  ensureBenchBuild();
  const js = tsEntry.startsWith('src/') ? `${BENCH_BUILD}/${tsEntry.slice(4)}` : `${BENCH_BUILD}/bench/${tsEntry.replace(/^.*\//, '')}`;
  return { argv: [js.replace(/\.ts$/, '.js')], env: { NODE_OPTIONS: benchNodeOptions() } };
}

/**
 * Starts `node <entry> args` (the process itself, no wrapper: its pid is the server's, so its RSS is
 * the server's) and waits until `health` answers 200. `script` is the TypeScript entry; it runs
 * compiled or through tsx per SERVE_MODE.
 */
export async function startChild(script: string, args: string[], env: Record<string, string>, healthPath = '/healthz'): Promise<Child> {
  const port = await freePort();
  const entry = entryArgv(script);
  const child = spawn(process.execPath, [...entry.argv, ...args.map((a) => a.replace('{port}', String(port)))], {
    cwd: ROOT, env: { ...process.env, ...entry.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${script} exited early (${child.exitCode}): ${stderr}`);
    if (await fetch(`${url}${healthPath}`).then((r) => r.ok, () => false)) break;
    if (i > 1200) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not answer ${healthPath} in 5 min: ${stderr}`);
    }
    await sleep(250);
  }
  return {
    url, pid: child.pid!, child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killed = sleep(30_000).then(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
      await Promise.race([exited, killed]);
      await exited;
    },
  };
}

/** `fleetplane serve` on the given store (databaseUrl: PostgreSQL, else embedded in dataDir). */
export function startServe(store: { databaseUrl?: string | undefined; dataDir: string; secretKey: string; adminToken: string }, env: Record<string, string> = {}): Promise<Child> {
  return startChild('src/cli/main.ts', ['serve', '--port', '{port}'], {
    ...(store.databaseUrl ? { FLEETPLANE_DATABASE_URL: store.databaseUrl } : {}),
    FLEETPLANE_DATA_DIR: store.dataDir, FLEETPLANE_SECRET_KEY: store.secretKey, FLEETPLANE_ADMIN_TOKEN: store.adminToken,
    FLEETPLANE_LOG_LEVEL: 'warn', ...env,
  });
}

/** One sentence for a bench's note: how its servers ran. */
export const serveModeNote = (): string => SERVE_MODE === 'tsx'
  ? 'Servers ran through tsx (BENCH_SERVE_ENTRY=tsx: the TypeScript sources, as in development).'
  : `Servers ran compiled (npm run build into ${BENCH_BUILD}, node alone, as the image runs it) with NODE_OPTIONS "${benchNodeOptions()}"${process.env.BENCH_NODE_OPTIONS === undefined ? " (the chart's)" : " (BENCH_NODE_OPTIONS, not the chart's)"}.`;

export const newSecretKey = (): string => randomBytes(32).toString('hex');

/** Resident set size of a process in bytes (VmRSS in /proc/<pid>/status), null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; `max` and the last sample. */
export function rssSampler(pid: number, everyMs = 200): { stop(): { max: number; last: number; samples: number } } {
  let max = 0;
  let last = 0;
  let samples = 0;
  const take = () => {
    const r = rssBytes(pid);
    if (r === null) return;
    last = r;
    max = Math.max(max, r);
    samples++;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { max, last, samples };
    },
  };
}

export const MIB = 2 ** 20;
