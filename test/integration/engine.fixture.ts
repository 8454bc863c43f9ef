// Shared setup for the engine's integration tests (engine*.test.ts): a fresh PostgreSQL database,
// the testbed clusters, and real `fleetplane serve` processes (API + engine) started on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freshPostgres, type TestDatabase } from '../helpers/db.ts';
import { getTestbed, type TestCluster } from '../helpers/testbed.ts';
import { openStore, type SqlStore } from '../../src/adapters/store/index.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import type { Operation } from '../../src/domain/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Preload for startServe: records every cluster write of the engine to FLEETPLANE_TEST_WRITES_FILE. */
export const RECORDER_PATH = fileURLToPath(new URL('../helpers/write-recorder.ts', import.meta.url));

export interface Fleet {
  db: TestDatabase;
  store: SqlStore;
  secretKey: string;
  adminToken: string;
  clusters: TestCluster[];
  cleanup(): Promise<void>;
}

export async function setupFleet(): Promise<Fleet> {
  const tb = await getTestbed();
  const db = await freshPostgres();
  const secretKey = randomBytes(32).toString('hex');
  const store = await openStore({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, secretKey, maxConnections: 4 });
  await store.migrate();
  return {
    db, store, secretKey, adminToken: `fp_${randomBytes(24).toString('hex')}`, clusters: tb.clusters,
    async cleanup() {
      await store.close();
      await db.cleanup();
    },
  };
}

export interface Api {
  url: string;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

export function api(url: string, token: string): Api {
  return {
    url,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as never };
    },
  };
}

/** Registers the testbed clusters through POST /v1/clusters and publishes the sample blueprint. */
export async function prepareFleet(client: Api, clusters: TestCluster[], blueprint: Record<string, unknown> = SAMPLE_BLUEPRINT): Promise<void> {
  for (const c of clusters) {
    const r = await client.call('POST', '/v1/clusters', {
      name: c.name, provider: 'local', region: 'local', role: 'shared', apiServer: c.apiServer, credentials: await readFile(c.kubeconfig, 'utf8'),
    });
    if (r.status >= 300) throw new Error(`register cluster ${c.name}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  await publish(client, blueprint);
}

export async function publish(client: Api, doc: Record<string, unknown>): Promise<void> {
  const meta = doc.metadata as { name: string; version: string };
  const r = await client.call('POST', '/v1/blueprints', { name: meta.name, version: meta.version, spec: doc });
  if (r.status >= 300) throw new Error(`publish ${meta.name}@${meta.version}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServeProcess {
  url: string;
  workerId: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `fleetplane serve` on the fleet's database; env tunes the engine (FLEETPLANE_* vars);
 * `preload`: modules imported into the process first (test/helpers/write-recorder.ts).
 */
export async function startServe(fleet: Fleet, opts: { workerId: string; env?: Record<string, string>; preload?: string[] }): Promise<ServeProcess> {
  const port = await freePort();
  const preload = (opts.preload ?? []).flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, 'src/cli/main.ts', 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: {
      ...process.env,
      FLEETPLANE_DATABASE_URL: fleet.db.databaseUrl!, FLEETPLANE_DATA_DIR: fleet.db.dataDir, FLEETPLANE_SECRET_KEY: fleet.secretKey,
      FLEETPLANE_ADMIN_TOKEN: fleet.adminToken, FLEETPLANE_WORKER_ID: opts.workerId, FLEETPLANE_LOG_LEVEL: 'warn', ...(opts.env ?? {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a loaded 2-core machine tsx alone can take a minute to load the CLI.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited early (${child.exitCode}): ${stderr}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 1200) throw new Error(`serve did not become healthy in 5 min: ${stderr}`);
    await sleep(250);
  }
  return {
    url, workerId: opts.workerId, child, exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A graceful stop that hangs (a step stuck on a cluster) must not hang the file's cleanup until
      // the runner's timeout: past a generous grace the process is killed outright.
      const grace = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 120_000);
      try {
        await exited;
      } finally {
        clearTimeout(grace);
      }
    },
  };
}

/**
 * One cleanup step of an `after` hook, bounded: past `limitMs` it is left behind with a line naming it
 * (so a hung step is visible in a CI log and the next steps still run); its errors are logged, not thrown.
 */
export async function boundedStep(what: string, fn: () => Promise<unknown> | undefined, limitMs = 180_000): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), limitMs); });
  try {
    const outcome = await Promise.race([Promise.resolve(fn()).then(() => 'done' as const), late]);
    if (outcome === 'late') process.stderr.write(`# cleanup: "${what}" still running after ${limitMs / 1000} s; left behind\n`);
  } catch (err) {
    process.stderr.write(`# cleanup: "${what}" failed after ${((Date.now() - started) / 1000).toFixed(1)} s: ${(err as Error).message}\n`);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** A release of the sample blueprint with only the web component, image tag `tag` (e.g. "…-never-ready"). */
export function release(version: string, tag = version): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as typeof SAMPLE_BLUEPRINT & { metadata: { version: string } };
  doc.metadata.version = version;
  doc.spec.product = { ...doc.spec.product, tag };
  doc.spec.components = doc.spec.components.filter((c) => c.name === 'web');
  return doc;
}

/** The sample blueprint with a web front end that needs `seconds` before its readiness probe passes. */
export function slowStartingBlueprint(seconds = 5): Record<string, unknown> {
  const doc = structuredClone(SAMPLE_BLUEPRINT) as { spec: { components: Array<Record<string, unknown>> } };
  const web = doc.spec.components.find((c) => c.name === 'web')!;
  web.probes = { readiness: { port: 'http', path: '/healthz/ready', initialDelaySeconds: seconds } };
  return doc as unknown as Record<string, unknown>;
}

export const uniqueSlug = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * POST /v1/tenants for one tenant with one demo-app 1.0.0 environment (`cluster` omitted: automatic
 * placement); asserts 202 and returns the onboarding operation's id.
 */
export async function onboardOne(client: Api, slug: string, env: { name: string; type: string; cluster?: string }, tier: 'shared' | 'hybrid' | 'dedicated' = 'shared'): Promise<string> {
  const r = await client.call<{ operations: Operation[] }>('POST', '/v1/tenants', {
    slug, name: slug, tier, environments: [{ ...env, blueprint: 'demo-app', version: '1.0.0' }],
  });
  if (r.status !== 202) throw new Error(`onboarding ${slug}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.operations[0]!.id;
}

/** Waits until the operation has succeeded or failed (read from the store) and returns it. */
export function operationDone(fleet: Fleet, id: string, timeoutMs = 120_000, everyMs = 500): Promise<Operation> {
  return waitFor(`operation ${id} to finish`, async () => {
    const op = await fleet.store.operations.get(id);
    return op && (op.state === 'succeeded' || op.state === 'failed') ? op : null;
  }, timeoutMs, everyMs);
}
