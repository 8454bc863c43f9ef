// FLEETPLANE_PLATFORM_CONFIG on a real `serve` (embedded store, workers on): the platform an operator
// describes (egress targets, the secret store, the base domain) is what the engine renders into an
// environment's revision, not the renderer's example platform; a file with a bad value stops serve
// before it opens anything, with one line naming the file and the field (exit 2).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, serveConfig, type Running } from '../../src/cli/commands/serve.ts';
import { CliError } from '../../src/cli/client.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { tenantBody } from '../helpers/api-harness.ts';

const ADMIN = `fpt_platform_${'p'.repeat(24)}`;
const PLATFORM = [
  'baseDomain: saas.example.net',
  'egressTargets:',
  '  database: [10.50.0.0/16]',
  'secretStore:',
  '  server: https://vault.prod.example:8200',
  '  kvMount: kv',
  '  authMountPath: k8s-prod',
].join('\n');

describe('serve renders for the platform FLEETPLANE_PLATFORM_CONFIG describes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-platform-serve-'));
  let running: Running | undefined;
  const env = (file: string) => ({
    FLEETPLANE_DATA_DIR: join(dir, 'data'), FLEETPLANE_ADMIN_TOKEN: ADMIN, FLEETPLANE_LOG_LEVEL: 'silent', FLEETPLANE_PLATFORM_CONFIG: file,
    FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '0', FLEETPLANE_RATE_LIMIT: '0',
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(running!.url + path, {
      method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  };

  before(() => writeFileSync(join(dir, 'platform.yaml'), PLATFORM));
  after(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a bad value stops serve with one line naming the file and the field, before anything is opened', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${PLATFORM}\nkubeApiServerCidrs: [not-a-cidr]\nnoSuchSetting: 1\n`);
    await assert.rejects(serve(serveConfig(env(bad), { port: 0, host: '127.0.0.1' })), (err: Error) => {
      assert.ok(err instanceof CliError, String(err));
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^FLEETPLANE_PLATFORM_CONFIG .*bad\.yaml: \/platform\/noSuchSetting is not a platform setting$/);
      return true;
    });
  });

  test('the onboarding renders the configured egress targets and secret store into the revision', async () => {
    running = await serve(serveConfig(env(join(dir, 'platform.yaml')), { port: 0, host: '127.0.0.1' }));
    // The shipped default blueprint: its api and worker reach the platform's `database` egress target.
    const blueprint = parseYaml(readFileSync(join(import.meta.dirname, '../../blueprints/default/1.5.0.yaml'), 'utf8')) as { metadata: { name: string; version: string } };
    const published = await call('POST', '/v1/blueprints', { name: blueprint.metadata.name, version: blueprint.metadata.version, spec: blueprint });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    // A registered cluster nobody answers on (declared capabilities: nothing to discover): place and
    // render happen, deliver is retried.
    const credentials = 'apiVersion: v1\nkind: Config\nclusters:\n  - name: c\n    cluster: {server: "https://127.0.0.1:1", certificate-authority-data: AAAA}\n'
      + 'users:\n  - name: u\n    user: {token: not-a-real-token}\ncontexts:\n  - name: c\n    context: {cluster: c, user: u}\ncurrent-context: c\n';
    const cluster = await call('POST', '/v1/clusters', { name: 'pc-1', provider: 'local', region: 'r1', apiServer: 'https://127.0.0.1:1', credentials, capabilities: [] });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    const body = tenantBody('pcfg', ['prod']) as { environments: Array<Record<string, unknown>> };
    body.environments = body.environments.map((e) => ({ ...e, blueprint: blueprint.metadata.name, version: blueprint.metadata.version, values: {} }));
    const onboarded = await call('POST', '/v1/tenants', body);
    assert.equal(onboarded.status, 202, JSON.stringify(onboarded.body));
    let objects: KubeObject[] = [];
    for (let i = 0; i < 1200 && objects.length === 0; i++) {
      const e = await running.store.environments.get('pcfg', 'prod');
      const rev = e?.desiredRevision ? await running.store.revisions.get('pcfg', 'prod', e.desiredRevision) : null;
      if (rev) objects = rev.objects.map((o) => o.object);
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(objects.length > 0, `the environment was rendered: ${JSON.stringify((await running.store.operations.list({ limit: 5 })).items.map((o) => [o.kind, o.state, o.steps, o.error ?? (o as unknown as { reason?: string }).reason]))}`);
    const text = JSON.stringify(objects);
    const cidrs = [...text.matchAll(/"cidr":"([^"]+)"/g)].map((m) => m[1]);
    assert.ok(cidrs.includes('10.50.0.0/16'), `the configured database range is allowed: ${cidrs.join(', ')}`);
    assert.ok(!cidrs.includes('10.20.0.0/16'), 'the example platform\'s database range is not');
    const store = objects.find((o) => o.kind === 'SecretStore') as (KubeObject & { spec: { provider: { vault: { server: string; path: string; auth: { kubernetes: { mountPath: string } } } } } }) | undefined;
    assert.equal(store?.spec.provider.vault.server, 'https://vault.prod.example:8200');
    assert.equal(store?.spec.provider.vault.auth.kubernetes.mountPath, 'k8s-prod');
    assert.match(text, /saas\.example\.net/, 'hostnames under the configured base domain');
  });
});
