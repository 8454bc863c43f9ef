// Test harness for the API's integration tests: the real store on both backends (embedded PGlite in
// a temp dir, and a fresh database on the PostgreSQL server named by FLEETPLANE_TEST_DATABASE_URL),
// the app built on it (databases from ./db.ts), and small request helpers over Fastify's inject.
import { randomBytes } from 'node:crypto';
import type { Store } from '../../src/domain/ports/store.ts';
import { bundleSigner, openStore } from '../../src/adapters/store/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { CONSOLE_DIR } from '../../src/api/routes/console-static.ts';
import { ChangeHub } from '../../src/api/services/change-hub.ts';
import { VENDORED_CHARTS_DIR } from '../../src/api/routes/bundles.ts';
import { binaryPath } from '../../testbed/index.ts';
import type { Api, ApiDeps } from '../../src/api/context.ts';
import { engineConnections } from '../../src/engine/index.ts';
import { RolloutService } from '../../src/engine/rollouts/service.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { freshEmbedded, freshPostgres } from './db.ts';
import { checkResponses, nonConforming } from './response-conformance.ts';

export type Backend = 'embedded' | 'postgres';
/** Both real backends; FLEETPLANE_API_TEST_BACKENDS=embedded narrows it for quick local iteration. */
export const BACKENDS: Backend[] = (process.env.FLEETPLANE_API_TEST_BACKENDS?.split(',') as Backend[] | undefined) ?? ['embedded', 'postgres'];

export interface StoreHandle {
  backend: Backend;
  dataDir: string;
  databaseUrl?: string;
  /** The admin token harnesses on this store use (the same across restarts). */
  adminToken: string;
  open(): Promise<Store>;
  /** Removes the temp dir and drops the database. */
  destroy(): Promise<void>;
}

async function openMigrated(opts: { databaseUrl?: string | undefined; dataDir: string }): Promise<Store> {
  const store = await openStore(opts);
  await store.migrate();
  return store;
}

export async function storeHandle(backend: Backend): Promise<StoreHandle> {
  const db = backend === 'postgres' ? await freshPostgres() : await freshEmbedded();
  return {
    backend,
    dataDir: db.dataDir,
    adminToken: `fpt_admin_${randomBytes(12).toString('hex')}`,
    ...(db.databaseUrl ? { databaseUrl: db.databaseUrl } : {}),
    open: () => openMigrated({ databaseUrl: db.databaseUrl, dataDir: db.dataDir }),
    destroy: () => db.cleanup(),
  };
}

/** The testbed's pinned helm when built (else `helm` on PATH; a bundle with a vendored chart then answers 503). */
function testbedHelm(): string {
  try {
    return binaryPath('helm');
  } catch {
    return 'helm';
  }
}

/** The API's dependencies over a store, wired as `serve` wires them. */
export async function apiDeps(store: Store, dataDir: string, now: () => Date = () => new Date(), extra: Partial<ApiDeps> = {}): Promise<ApiDeps> {
  return {
    store, rollouts: new RolloutService({ store, now }), scaling: store.scaling, signer: await bundleSigner({ dataDir }), now, connections: engineConnections(store),
    changes: new ChangeHub({ store }), consoleDir: CONSOLE_DIR,
    // Bundles pre-render vendored charts with the testbed's helm (built on demand by the tests that need it).
    charts: { dir: VENDORED_CHARTS_DIR, helm: testbedHelm() }, ...extra,
  };
}

export interface Harness {
  backend: Backend;
  handle: StoreHandle;
  store: Store;
  app: Api;
  adminToken: string;
  req(method: string, url: string, opts?: ReqOpts): Promise<Res>;
  close(): Promise<void>;
}

export interface ReqOpts {
  token?: string | null;
  body?: unknown;
  /** Raw payload (sent as is, with contentType). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // Tests read arbitrary response fields.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The response bytes as sent (archives and other binary bodies). */
  raw: Buffer;
}

/** extra: ApiDeps to override (a console build directory, a Prometheus URL). */
export async function harness(backend: Backend, handle?: StoreHandle, extra: Partial<ApiDeps> = {}): Promise<Harness> {
  const h = handle ?? (await storeHandle(backend));
  const store = await h.open();
  const adminToken = h.adminToken;
  if (!(await store.tokens.verify(adminToken))) await store.tokens.create({ name: 'test-admin', tenant: null, role: 'admin' }, adminToken);
  const deps = await apiDeps(store, h.dataDir, undefined, extra);
  // The rate limit is tested on its own (api-limits.test.ts); suites sending hundreds of calls from one
  // token within a minute would otherwise meet it.
  const app = await buildApp(deps, { logger: false, limits: { rateLimitMax: 0 } });
  // Every answer is judged against the response schema its route declares (response-conformance.ts).
  checkResponses(app);
  const seenBefore = nonConforming.length;
  await app.ready();
  const req = async (method: string, url: string, o: ReqOpts = {}): Promise<Res> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    const token = o.token === undefined ? adminToken : o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | Buffer | undefined;
    if (o.raw !== undefined) {
      payload = o.raw;
      headers['content-type'] = o.contentType ?? 'application/json';
    } else if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const r = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    let body: unknown = r.body;
    try {
      body = r.body === '' ? null : JSON.parse(r.body);
    } catch {
      // not JSON: keep text
    }
    return { status: r.statusCode, headers: r.headers, body, raw: r.rawPayload };
  };
  return {
    backend, handle: h, store, app, adminToken, req,
    async close() {
      await app.close();
      await deps.changes.stop();
      await store.close();
      if (!handle) await h.destroy();
      const wrong = nonConforming.slice(seenBefore);
      if (wrong.length > 0) throw new Error(`answers that do not match their declared response schema:\n${[...new Set(wrong)].join('\n')}`);
    },
  };
}

export const BLUEPRINT = SAMPLE_BLUEPRINT;

/** A copy of the sample blueprint with another version. */
export function blueprintVersion(version: string): Record<string, unknown> {
  return { ...SAMPLE_BLUEPRINT, metadata: { ...SAMPLE_BLUEPRINT.metadata, version } };
}

export async function publishSample(h: Harness, version = '1.0.0'): Promise<void> {
  const r = await h.req('POST', '/v1/blueprints', { body: { name: 'demo-app', version, spec: blueprintVersion(version) } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`publish failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export function tenantBody(slug: string, envs: string[] = ['prod', 'staging']): Record<string, unknown> {
  return {
    slug, name: `${slug} Inc`, tier: 'shared', labels: { plan: 'gold' },
    environments: envs.map((name) => ({ name, type: name === 'prod' ? 'prod' : 'staging', blueprint: 'demo-app', version: '1.0.0', values: { logLevel: 'info' } })),
  };
}

/** Counts of rows the API writes, to assert that a refused request wrote nothing. */
export async function counts(store: Store): Promise<Record<string, number>> {
  const [tenants, envs, ops, bps, clusters, tokens, evacuations] = await Promise.all([
    store.tenants.list({ limit: 500 }), store.environments.list({ limit: 500 }), store.operations.list({ limit: 500 }),
    store.blueprints.list({ limit: 500 }), store.clusters.list({ limit: 500 }), store.tokens.list(), store.evacuations.list({ limit: 500 }),
  ]);
  return {
    tenants: tenants.items.length, envs: envs.items.length, ops: ops.items.length, bps: bps.items.length, clusters: clusters.items.length, tokens: tokens.length,
    evacuations: evacuations.items.length, cordoned: clusters.items.filter((c) => c.cordon).length,
  };
}
