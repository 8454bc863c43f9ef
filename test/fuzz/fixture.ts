// The server the fuzz runs against: the real `fleetplane serve` (API, embedded PGlite store in a temp
// dir) on 127.0.0.1, with no workers (operations stay queued: the run is deterministic and touches
// no cluster; no reconcile loop either: nothing writes but the requests, which hooks.py's
// nothing_written_on_refusal check relies on) and no rate limit (the fuzzer sends thousands of requests; the limit has its own test).
// Seeded with a blueprint, a cluster and two tenants ("fz-alpha", "fz-beta", each with environment
// prod, a revision and an operation), an admin token and a tenant-admin token each. A real Prometheus
// (scripts/prometheus.sh) answers the VPA routes' usage queries (without one they are a 503 by design).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, serveConfig } from '../../src/cli/commands/serve.ts';
import type { Store } from '../../src/domain/ports/store.ts';
import { BLUEPRINT, tenantBody } from '../helpers/api-harness.ts';
import { startPrometheus } from '../integration/observability-support.ts';

export interface FuzzTenant { slug: string; token: string; tokenId: string; operation: string; revision: string }

export interface FuzzServer {
  url: string;
  adminToken: string;
  /** The admin token's id (hooks.py keeps the fuzzer from revoking or rotating the token it runs with). */
  adminTokenId: string;
  store: Store;
  alpha: FuzzTenant;
  beta: FuzzTenant;
  stop(): Promise<void>;
}

async function call(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(url + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (r.status >= 300) throw new Error(`fixture ${method} ${path}: ${r.status} ${text}`);
  return { status: r.status, body: parsed };
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-fuzz-'));
  // A console build of its own (one page, one asset): the run does not depend on web/dist.
  const consoleDir = join(dir, 'console');
  mkdirSync(join(consoleDir, 'assets'), { recursive: true });
  writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Fleetplane</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(consoleDir, 'assets', 'app.js'), 'export {};');
  const adminToken = `fpt_fuzz_${randomBytes(16).toString('hex')}`;
  const prometheus = await startPrometheus('127.0.0.1:9');
  const running = await serve(serveConfig({
    FLEETPLANE_PROMETHEUS_URL: prometheus.url,
    FLEETPLANE_DATA_DIR: join(dir, 'data'), FLEETPLANE_CONSOLE_DIR: consoleDir, FLEETPLANE_ADMIN_TOKEN: adminToken, FLEETPLANE_WORKERS: '0', FLEETPLANE_RATE_LIMIT: '0', FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_LOG_LEVEL: process.env.FP_FUZZ_LOG_LEVEL ?? 'silent',
  }, { port: 0, host: '127.0.0.1' }));
  const { url, store } = running;
  const admin = (method: string, path: string, body?: unknown) => call(url, adminToken, method, path, body);
  await admin('POST', '/v1/blueprints', { name: 'demo-app', version: '1.0.0', spec: BLUEPRINT });
  await admin('POST', '/v1/clusters', { name: 'fz-c1', provider: 'local', region: 'r1', apiServer: 'https://127.0.0.1:1' });
  const tenant = async (slug: string): Promise<FuzzTenant> => {
    const created = await admin('POST', '/v1/tenants', tenantBody(slug, ['prod']));
    const token = (await admin('POST', '/v1/tokens', { name: `${slug}-admin`, role: 'tenant-admin', tenant: slug })).body;
    const revision = `rev-${slug}-1`;
    await store.revisions.save({
      id: revision, tenant: slug, environment: 'prod', blueprint: 'demo-app', version: '1.0.0', helmValues: [],
      objects: [{ hash: 'h1', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${slug}-config`, namespace: `${slug}-prod` }, data: { owner: slug } } }],
    });
    return { slug, token: token.secret, tokenId: token.token.id, operation: created.body.operations[0].id, revision };
  };
  const alpha = await tenant('fz-alpha');
  const beta = await tenant('fz-beta');
  const adminTokenId = (await store.tokens.verify(adminToken))!.id;
  return {
    url, adminToken, adminTokenId, store, alpha, beta,
    async stop() {
      await running.stop();
      await prometheus.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
