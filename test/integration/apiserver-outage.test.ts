// Fault (#14): a cluster's API server unreachable in the middle of onboarding. The cluster is a real
// testbed kube-apiserver (fp-2) registered through a TCP pass-through on loopback (TLS end to end: the
// server certificate names 127.0.0.1), so the test can cut it off without touching the shared testbed:
// every open connection is reset and new ones are refused for a while, then it comes back. Onboardings
// through a real `serve` must all end succeeded, each environment by exactly one operation, Ready, with
// the outage visible in their step history as retried connection failures, never a failed operation.
// Then the same server made slow (every chunk held 150 ms each way): onboardings still succeed once.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { api, boundedStep, publish, setupFleet, startServe, uniqueSlug, waitFor, type Fleet, type ServeProcess } from './engine.fixture.ts';
import { BLUEPRINT as SAMPLE_BLUEPRINT } from '../helpers/api-harness.ts';

const run = uniqueSlug('o').slice(2);
const slugs = Array.from({ length: 6 }, (_, i) => `ao${run}-${i}`);
const clusterName = `ao${run}`;
let fleet: Fleet;
let serve: ServeProcess | undefined;

/** A TCP pass-through to the API server that can be cut (resets every connection, refuses new ones) or slowed. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Held before each chunk is passed on, each way. */
  delayMs = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      const relay = (from: Socket, to: Socket) => from.on('data', (chunk) => {
        if (this.delayMs === 0) { to.write(chunk); return; }
        from.pause();
        setTimeout(() => { to.write(chunk); from.resume(); }, this.delayMs);
      });
      relay(client, upstream);
      relay(upstream, client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let proxy: CuttableProxy;

before(async () => {
  fleet = await setupFleet();
  const target = fleet.clusters[1]!;
  const u = new URL(target.apiServer);
  proxy = new CuttableProxy({ host: u.hostname, port: Number(u.port) });
  await proxy.up();
});

// Each cleanup step is bounded and says when it was slow: this file's cleanup hung twice in loaded
// CI runs (never alone), so a stuck step is named in the log and the rest still run.
after(async () => {
  await boundedStep('stop serve', () => serve?.kill('SIGTERM'));
  await boundedStep('close the proxy', () => proxy?.cut());
  await boundedStep('delete the namespaces', () => fleet?.clusters[1]?.client().deleteAll(slugs.map((s) => ({ apiVersion: 'v1', kind: 'Namespace', name: `${s}-prod` })), { concurrency: 6, propagationPolicy: 'Background' }));
  await boundedStep('drop the database', () => fleet?.cleanup());
});

interface Op { id: string; kind: string; state: string; steps: Array<{ name: string; state: string; attempts: number; message?: string; error?: string }> }

test('the API server cut off mid-onboarding: every onboarding retries and succeeds once it is back, exactly once', async () => {
  serve = await startServe(fleet, { workerId: `ao-${run}`, env: { FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_VERIFY_TIMEOUT: '3m', FLEETPLANE_RATE_LIMIT: '0', FLEETPLANE_RETRY_MAX_MS: '4000' } });
  const client = api(serve.url, fleet.adminToken);
  const target = fleet.clusters[1]!;
  const proxied = `https://127.0.0.1:${proxy.port}`;
  const kubeconfig = (await readFile(target.kubeconfig, 'utf8')).replaceAll(target.apiServer, proxied);
  assert.ok(kubeconfig.includes(proxied), 'the kubeconfig names the proxy');
  const reg = await client.call('POST', '/v1/clusters', { name: clusterName, provider: 'local', region: 'local', role: 'shared', apiServer: proxied, credentials: kubeconfig });
  assert.ok(reg.status < 300, JSON.stringify(reg.body));
  await publish(client, SAMPLE_BLUEPRINT);

  const ids: string[] = [];
  for (const slug of slugs) {
    const r = await client.call<{ operations: Array<{ id: string }> }>('POST', '/v1/tenants', { slug, name: slug, tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: clusterName }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.operations[0]!.id);
  }
  // Cut while the first one is being delivered; the rest are queued behind it or running.
  await waitFor('a delivery under way', async () => {
    const ops = await Promise.all(ids.map(async (id) => (await client.call<Op>('GET', `/v1/operations/${id}`)).body));
    return ops.some((o) => o.steps.some((s) => s.name === 'apply' || s.name === 'deliver' ? s.state !== 'pending' : false)) ? true : null;
  }, 300_000, 50);
  await proxy.cut();
  // Down until some step has failed on it (retried, not failed for good), then back.
  const sawFailure = await waitFor('a step failed against the cut-off server', async () => {
    const ops = await Promise.all(ids.map(async (id) => (await client.call<Op>('GET', `/v1/operations/${id}`)).body));
    assert.ok(ops.every((o) => o.state !== 'failed'), `nothing fails for good: ${JSON.stringify(ops.find((o) => o.state === 'failed'))}`);
    const failed = ops.flatMap((o) => o.steps).find((s) => s.error && /ECONNREFUSED|ECONNRESET|socket|connect/i.test(s.error));
    return failed ?? null;
  }, 300_000, 200);
  assert.match(String(sawFailure.message), /^(connection|timeout|aborted|unclassified):/, `classified as worth retrying: ${sawFailure.message}`);
  await proxy.up();

  const ops = await waitFor('every onboarding finished', async () => {
    const all = await Promise.all(ids.map(async (id) => (await client.call<Op>('GET', `/v1/operations/${id}`)).body));
    return all.every((o) => o.state === 'succeeded' || o.state === 'failed') ? all : null;
  }, 600_000, 1000);
  assert.deepEqual(ops.map((o) => o.state), ids.map(() => 'succeeded'));
  for (const slug of slugs) {
    const e = (await client.call<{ health: string }>('GET', `/v1/environments/${slug}/prod`)).body;
    assert.equal(e.health, 'Ready', slug);
    const mine = (await client.call<{ items: Op[] }>('GET', `/v1/operations?tenant=${slug}&limit=20`)).body.items;
    assert.deepEqual(mine.map((o) => o.kind), ['onboard'], `${slug}: one operation`);
  }
  assert.ok(ops.some((o) => o.steps.some((s) => s.attempts > 1)), 'some step ran more than once: the outage was felt');
});

test('the same API server slowed down (every chunk held 150 ms each way): onboardings still succeed, once each', async () => {
  const client = api(serve!.url, fleet.adminToken);
  proxy.delayMs = 150;
  const slow = Array.from({ length: 3 }, (_, i) => `ao${run}-slow${i}`);
  slugs.push(...slow);
  const ids: string[] = [];
  for (const slug of slow) {
    const r = await client.call<{ operations: Array<{ id: string }> }>('POST', '/v1/tenants', { slug, name: slug, tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: clusterName }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.operations[0]!.id);
  }
  const ops = await waitFor('every slow onboarding finished', async () => {
    const all = await Promise.all(ids.map(async (id) => (await client.call<Op>('GET', `/v1/operations/${id}`)).body));
    return all.every((o) => o.state === 'succeeded' || o.state === 'failed') ? all : null;
  }, 900_000, 1000);
  proxy.delayMs = 0;
  assert.deepEqual(ops.map((o) => o.state), ids.map(() => 'succeeded'));
  for (const slug of slow) {
    assert.equal((await client.call<{ health: string }>('GET', `/v1/environments/${slug}/prod`)).body.health, 'Ready', slug);
    assert.deepEqual((await client.call<{ items: Op[] }>('GET', `/v1/operations?tenant=${slug}&limit=20`)).body.items.map((o) => o.kind), ['onboard']);
  }
});
