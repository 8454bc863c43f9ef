// Structured logs end to end: a real `fleetplane serve` process onboards a tenant; its stdout is JSON
// lines, the request id given over HTTP is stored on the Operation, every engine line of that
// operation carries operation, tenant and environment ids, and no secret (the admin token, the
// cluster kubeconfig's credentials) ever appears in the output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { getTestbed } from '../helpers/testbed.ts';
import { freePort, tempDir, waitFor } from './observability-support.ts';

const root = join(import.meta.dirname, '../..');
const adminToken = `fpt_logs_${randomBytes(16).toString('hex')}`;
const requestId = `req-logs-${randomBytes(4).toString('hex')}`;
const dir = tempDir('logs');
let child: ChildProcess | undefined;
let out = '';
let url = '';
let kubeconfig = '';
let tenantSlug = '';

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Strings from the kubeconfig that must never be logged (token, client key, client cert data). */
function kubeconfigSecrets(text: string): string[] {
  const doc = YAML.parse(text) as { users?: Array<{ user?: Record<string, unknown> }> };
  return (doc.users ?? []).flatMap((u) => Object.entries(u.user ?? {}))
    .filter(([k, v]) => /token|key-data|certificate-data|password/i.test(k) && typeof v === 'string' && v.length > 8)
    .map(([, v]) => String(v));
}

before(async () => {
  const cluster = (await getTestbed()).clusters[0]!;
  kubeconfig = readFileSync(cluster.kubeconfig, 'utf8');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--port', String(port), '--data-dir', dir.path], {
    cwd: root,
    env: { ...process.env, FLEETPLANE_ADMIN_TOKEN: adminToken, FLEETPLANE_LOG_LEVEL: 'debug', FLEETPLANE_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => { out += String(c); });
  child.stderr!.on('data', (c: Buffer) => { out += String(c); });
  await waitFor(async () => (await fetch(`${url}/healthz`)).ok, 120_000, () => `serve did not start:\n${out.slice(-3000)}`);
  const doc = YAML.parse(readFileSync(join(root, 'blueprints/default/1.5.0.yaml'), 'utf8')) as Record<string, unknown>;
  assert.ok((await api('/v1/blueprints', { method: 'POST', body: { name: 'default', version: '1.5.0', spec: doc } })).status < 300);
  const reg = await api('/v1/clusters', { method: 'POST', body: { name: 'live', provider: 'local', region: 'local', apiServer: cluster.apiServer, credentials: kubeconfig } });
  assert.ok(reg.status < 300, JSON.stringify(reg.body));
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  dir.remove();
  // The onboarded environment holds a GPU model-server pod on the shared cluster: leave nothing behind.
  if (tenantSlug) {
    const cluster = (await getTestbed()).clusters[0]!;
    await cluster.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenantSlug}-dev` }, { propagationPolicy: 'Background' });
  }
});

test('request id reaches the operation; engine lines carry the work ids; no secret is logged', async () => {
  const slug = `logs-${randomBytes(3).toString('hex')}`;
  tenantSlug = slug;
  const created = await api('/v1/tenants', {
    method: 'POST',
    headers: { 'x-request-id': requestId },
    body: { slug, name: 'Logs Inc', tier: 'shared', environments: [{ name: 'dev', type: 'dev', blueprint: 'default', version: '1.5.0', cluster: 'live' }] },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const opId = (created.body as { operations: Array<{ id: string }> }).operations[0]!.id;
  const op = await api(`/v1/operations/${opId}`);
  assert.equal((op.body as { requestId: string }).requestId, requestId);

  // Wait until the engine has logged the operation's end (success or failure both count here).
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  await waitFor(async () => lines().some((l) => l.operationId === opId && /operation (succeeded|failed)|will retry/.test(String(l.msg))),
    300_000, () => `no engine line for ${opId}:\n${out.slice(-3000)}`);

  const all = lines();
  // The API's Fastify logs it as reqId until it adopts fastifyLoggingOptions() (key requestId).
  const httpLines = all.filter((l) => l.requestId === requestId || l.reqId === requestId);
  assert.ok(httpLines.some((l) => l.msg === 'incoming request'), 'the HTTP request is logged with its request id');
  assert.ok(httpLines.some((l) => (l.res as { statusCode?: number } | undefined)?.statusCode === 202), JSON.stringify(httpLines));
  const work = all.filter((l) => l.operationId === opId);
  assert.ok(work.length >= 2);
  for (const l of work) {
    assert.equal(l.tenant, slug, JSON.stringify(l));
    assert.equal(l.environment, 'dev', JSON.stringify(l));
    assert.equal(typeof l.time, 'string');
  }
  for (const secret of [adminToken, ...kubeconfigSecrets(kubeconfig)]) {
    assert.ok(!out.includes(secret), 'a secret appeared in the logs');
  }
});
