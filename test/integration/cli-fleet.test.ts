// `fleetplane rollouts …` and `fleetplane fleet health` against a real `fleetplane serve` process
// (embedded store, workers off so rollouts stay where the commands put them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';
import { storeHandle, type StoreHandle } from '../helpers/api-harness.ts';
import { main } from '../../src/cli/main.ts';
import { ApiClient } from '../../src/cli/client.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run { code: number; stdout: string; stderr: string }

let queue: Promise<unknown> = Promise.resolve();

/** Runs the CLI in-process with captured output; serialized because calls share process.env. */
function run(args: string[], env: Record<string, string>): Promise<Run> {
  const job = queue.then(async () => {
    const saved = { ...process.env };
    let stdout = '';
    let stderr = '';
    Object.assign(process.env, env);
    try {
      const code = await main(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t), isTTY: false });
      return { code, stdout, stderr };
    } finally {
      process.env = saved;
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

async function startServe(handle: StoreHandle, token: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', String(port), '--data-dir', handle.dataDir], {
    cwd: ROOT,
    env: { ...process.env, FLEETPLANE_ADMIN_TOKEN: token, FLEETPLANE_DATABASE_URL: '', FLEETPLANE_WORKERS: '0', FLEETPLANE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`serve did not become ready: ${err}`);
}

describe('fleetplane rollouts and fleet health (embedded)', () => {
  let handle: StoreHandle;
  let server: { child: ChildProcess; url: string };
  let env: Record<string, string>;
  const token = `fpt_${randomBytes(16).toString('hex')}`;

  before(async () => {
    handle = await storeHandle('embedded');
    server = await startServe(handle, token);
    env = { FLEETPLANE_SERVER: server.url, FLEETPLANE_TOKEN: token };
    const api = new ApiClient({ server: server.url, token });
    // Registered but unreachable (nothing listens on port 9): the health probe reports it.
    const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: x, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n';
    await api.request('POST', '/v1/clusters', { body: { name: 'fp-x', provider: 'local', region: 'local', apiServer: 'https://127.0.0.1:9', credentials: kubeconfig } });
    for (const version of ['1.0.0', '1.1.0']) {
      const doc = { ...SAMPLE_BLUEPRINT, metadata: { ...SAMPLE_BLUEPRINT.metadata, version } };
      await api.request('POST', '/v1/blueprints', { body: { name: 'demo-app', version, spec: doc } });
    }
    for (const slug of ['acme', 'globex']) {
      await api.request('POST', '/v1/tenants', { body: { slug, name: slug, tier: 'shared', environments: [
        { name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: 'fp-x' },
        { name: 'staging', type: 'staging', blueprint: 'demo-app', version: '1.0.0', cluster: 'fp-x' },
      ] } });
    }
  });
  after(async () => {
    if (server && server.child.exitCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    await handle?.destroy();
  });

  test('create plans waves (canary first); list, get, pause, resume, abort', async () => {
    const created = await run(['rollouts', 'create', 'demo-app@1.1.0', '--canary', '1', '--waves', '50,100', '--idempotency-key', 'k1', '-o', 'json'], env);
    assert.equal(created.code, 0, created.stderr);
    const r = JSON.parse(created.stdout);
    assert.match(r.id, /^ro-/);
    assert.equal(r.totals.total, 4);
    assert.equal(r.waves[0].targets.length, 1, 'the canary wave holds one environment');
    const again = JSON.parse((await run(['rollouts', 'create', 'demo-app@1.1.0', '--canary', '1', '--waves', '50,100', '--idempotency-key', 'k1', '-o', 'json'], env)).stdout);
    assert.equal(again.id, r.id, 'a retry with the same key returns the same rollout');

    const list = await run(['rollouts', 'list'], env);
    assert.match(list.stdout.split('\n')[0]!, /^ID\s+RELEASE\s+STATE\s+WAVE\s+PROGRESS/);
    assert.match(list.stdout, new RegExp(`${r.id}\\s+demo-app@1\\.1\\.0\\s+pending\\s+1/3\\s+0/4 done`));

    const get = await run(['rollouts', 'get', r.id], env);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^WAVE\s+STATE\s+TARGETS\s+SUCCEEDED/m);
    assert.match(get.stdout, /^1 \S+\s+pending\s+1\s+0/m);
    assert.equal(get.stdout.match(/^\d \S+\s+(pending|running)/gm)?.length, 3, get.stdout);

    assert.match((await run(['rollouts', 'pause', r.id], env)).stdout, /\bpaused\b/);
    assert.match((await run(['rollouts', 'resume', r.id], env)).stdout, /\brunning\b/);
    const aborted = await run(['rollouts', 'abort', r.id, '-o', 'yaml'], env);
    assert.match(aborted.stdout, /^state: aborted$/m);
    const watch = await run(['rollouts', 'watch', r.id], env);
    assert.equal(watch.code, 1, 'watch exits 1 when the rollout did not succeed');
    assert.match(watch.stderr, /rollout ro-\S+ aborted/);
    const again2 = await run(['rollouts', 'pause', r.id], env);
    assert.equal(again2.code, 1);
    assert.equal(again2.stderr.trim().split('\n').length, 1);
  });

  test('fleet health: totals, by release and by cluster; json', async () => {
    const h = await run(['fleet', 'health', '--no-probe'], env);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^fleet: 4 environments\s+Progressing=4$/m);
    assert.match(h.stdout, /demo-app@1\.0\.0\s+4\s+Progressing=4/);
    assert.match(h.stdout, /^fp-x\s+not probed\s+4/m);
    const probed = await run(['fleet', 'health'], env);
    assert.match(probed.stdout, /^fp-x\s+NO\s+4/m, 'an unregistered cluster is reported unreachable');
    assert.match(probed.stdout, /^error: cluster fp-x: /m);
    const json = JSON.parse((await run(['fleet', 'health', '--no-probe', '-o', 'json'], env)).stdout);
    assert.equal(json.environments, 4);
    assert.equal(json.byHealth.Progressing, 4);
  });

  test('bad input: one line, exit codes', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['rollouts', 'create', 'demo-app'], 2, /BLUEPRINT@VERSION/],
      [['rollouts', 'create', 'demo-app@1.1.0', '--waves', 'a,b'], 2, /--waves expects/],
      [['rollouts', 'create', 'demo-app@9.9.9'], 1, /HTTP 4\d\d/],
      [['rollouts', 'get', 'ro-00000000-0000-0000-0000-000000000000'], 1, /HTTP 404/],
      [['fleet', 'health', '--limit', 'x'], 2, /--limit must be/],
    ];
    for (const [args, code, re] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
