import assert from 'node:assert/strict';
import { API_LIMITS } from './api/limits.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from './config.ts';

test('durations parse with units and reject junk', () => {
  const cases: Array<[string | undefined, number | undefined]> = [
    ['1500', 1500], ['30s', 30_000], ['5m', 300_000], ['1.5h', 5_400_000], ['250ms', 250], ['0', 0], ['', undefined], [undefined, undefined], ['ten', undefined], ['5 days', undefined],
  ];
  for (const [input, want] of cases) assert.equal(parseDuration(input), want, String(input));
});

test('an empty environment gives the documented defaults', () => {
  const c = loadConfig({});
  assert.deepEqual(c.server, { port: 8080, host: '127.0.0.1', logLevel: 'info', limits: API_LIMITS });
  assert.deepEqual(c.store, { dataDir: './.fleetplane', poolSize: 10, retry: { baseMs: 2000, maxMs: 120_000 } });
  assert.deepEqual(c.engine, {
    workers: true, concurrency: 16, leaseMs: 30_000, pollMs: 500, verifyTimeoutMs: 300_000, verifyAttempts: 2, verifyHoldMs: 2000,
    cpuOvercommit: 2, memoryOvercommit: 1.5, reconcileIntervalMs: 60_000, clusterRefreshIntervalMs: 60_000,
    clusterUnavailableAfterMs: 90_000, placementPolicy: 'spread',
  });
  assert.deepEqual(c.clusterUpgrades, { provider: 'none', intervalMs: 10_000, verifyTimeoutMs: 600_000 });
  assert.deepEqual([c.rollouts.intervalMs, c.prescaler.intervalMs, c.metrics.maxTenants, c.prometheusUrl], [2000, 60_000, 500, undefined]);
  assert.deepEqual(c.gitops, {});
});

test('every variable is read into its place; flags win over their variables; empty values are unset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-config-'));
  try {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const c = loadConfig({
      FLEETPLANE_PORT: '9090', FLEETPLANE_DATA_DIR: '/var/lib/fp', FLEETPLANE_DATABASE_URL: 'postgresql://u@db/fp', FLEETPLANE_SECRET_KEY: 'ab'.repeat(32),
      FLEETPLANE_ADMIN_TOKEN: 'tok', FLEETPLANE_LOG_LEVEL: 'DEBUG', FLEETPLANE_RUNBOOK_URL: 'https://ops.example.com/runbooks', FLEETPLANE_WORKERS: '0',
      FLEETPLANE_WORKER_ID: 'w-1', FLEETPLANE_WORKER_CONCURRENCY: '40', FLEETPLANE_LEASE_MS: '6000', FLEETPLANE_POLL_MS: '250', FLEETPLANE_VERIFY_TIMEOUT: '8s',
      FLEETPLANE_VERIFY_ATTEMPTS: '1', FLEETPLANE_VERIFY_HOLD: '200ms', FLEETPLANE_CPU_OVERCOMMIT: '1', FLEETPLANE_MEMORY_OVERCOMMIT: '1.25',
      FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '1s', FLEETPLANE_DB_POOL_SIZE: '', FLEETPLANE_RETRY_BASE_MS: '300',
      FLEETPLANE_RETRY_MAX_MS: '9000', FLEETPLANE_ROLLOUT_INTERVAL_MS: '1000', FLEETPLANE_PRESCALE_INTERVAL_SECONDS: '0.5',
      FLEETPLANE_PROMETHEUS_URL: 'http://127.0.0.1:9090', FLEETPLANE_METRICS_MAX_TENANTS: '50',
      FLEETPLANE_GIT_REMOTE: 'https://git.example.com/{tenant}.git', FLEETPLANE_GIT_USERNAME: 'bot', FLEETPLANE_GIT_TOKEN_FILE: join(dir, 'token'),
      FLEETPLANE_GIT_ARGO_URL: 'https://git.internal/{tenant}.git', FLEETPLANE_ARGOCD_NAMESPACE: 'gitops',
      FLEETPLANE_CLUSTER_UNAVAILABLE_AFTER: '45s', FLEETPLANE_PLACEMENT_POLICY: 'cost', FLEETPLANE_CLUSTER_UPGRADE_PROVIDER: 'testbed',
      FLEETPLANE_CLUSTER_UPGRADE_INTERVAL: '2s', FLEETPLANE_CLUSTER_UPGRADE_VERIFY_TIMEOUT: '5m',
      FLEETPLANE_RATE_LIMIT: '0', FLEETPLANE_BODY_LIMIT: '4096',
    }, { port: 7070, dataDir: '/flag/dir' });
    assert.deepEqual(c.server, { port: 7070, host: '127.0.0.1', adminToken: 'tok', logLevel: 'debug', runbookUrl: 'https://ops.example.com/runbooks', limits: { ...API_LIMITS, rateLimitMax: 0, bodyLimit: 4096 } });
    assert.deepEqual(c.store, { dataDir: '/flag/dir', databaseUrl: 'postgresql://u@db/fp', secretKey: 'ab'.repeat(32), poolSize: 20, retry: { baseMs: 300, maxMs: 9000 } });
    assert.deepEqual(c.engine, {
      workers: false, workerId: 'w-1', concurrency: 40, leaseMs: 6000, pollMs: 250, verifyTimeoutMs: 8000, verifyAttempts: 1, verifyHoldMs: 200,
      cpuOvercommit: 1, memoryOvercommit: 1.25, reconcileIntervalMs: 0, clusterRefreshIntervalMs: 1000,
      clusterUnavailableAfterMs: 45_000, placementPolicy: 'cost',
    });
    assert.deepEqual(c.clusterUpgrades, { provider: 'testbed', intervalMs: 2000, verifyTimeoutMs: 300_000 });
    assert.deepEqual(loadConfig({ FLEETPLANE_CLUSTER_UPGRADE_PROVIDER: 'cluster-api', FLEETPLANE_CAPI_KUBECONFIG: '/etc/mgmt.kubeconfig', FLEETPLANE_CAPI_UPGRADE_TIMEOUT: '90m' }).clusterUpgrades.clusterApi,
      { kubeconfig: '/etc/mgmt.kubeconfig', namespace: 'default', timeoutMs: 5_400_000 });
    assert.throws(() => loadConfig({ FLEETPLANE_CLUSTER_UPGRADE_PROVIDER: 'cluster-api' }), /FLEETPLANE_CAPI_KUBECONFIG .* is required/);
    assert.deepEqual([c.rollouts.intervalMs, c.prescaler.intervalMs, c.metrics.maxTenants, c.prometheusUrl], [1000, 500, 50, 'http://127.0.0.1:9090']);
    assert.deepEqual(c.gitops, {
      remoteTemplate: 'https://git.example.com/{tenant}.git', username: 'bot', token: 'from-file', argoTemplate: 'https://git.internal/{tenant}.git', argocdNamespace: 'gitops',
    });
    assert.equal(loadConfig({ FLEETPLANE_GIT_TOKEN: 'direct', FLEETPLANE_GIT_TOKEN_FILE: join(dir, 'token') }).gitops.token, 'direct');
    const argo = loadConfig({ FLEETPLANE_ARGOCD_CLUSTER: 'mgmt', FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE: '/run/creds.json', FLEETPLANE_GITOPS_CHART_MIRRORS: 'https://charts.bitnami.com/bitnami=http://mirror:8080, oci://a.io/x=oci://b.io/x' }).gitops;
    assert.deepEqual(argo, { argocdCluster: 'mgmt', argoCredentialsFile: '/run/creds.json', chartMirrors: { 'https://charts.bitnami.com/bitnami': 'http://mirror:8080', 'oci://a.io/x': 'oci://b.io/x' } });
    assert.throws(() => loadConfig({ FLEETPLANE_GITOPS_CHART_MIRRORS: 'https://a=not-a-url' }), /FLEETPLANE_GITOPS_CHART_MIRRORS: "https:\/\/a=not-a-url"/);
    assert.equal(loadConfig({ FLEETPLANE_PORT: '9090' }).server.port, 9090);
    assert.equal(loadConfig({ FLEETPLANE_DB_POOL_SIZE: '3' }).store.poolSize, 3);
    assert.equal(loadConfig({ FLEETPLANE_DATABASE_URL: '', FLEETPLANE_PROMETHEUS_URL: ' ' }).store.databaseUrl, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad value is one line naming the variable, and never echoes a secret', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['FLEETPLANE_PORT', '70000', /integer from 0 to 65535/],
    ['FLEETPLANE_PORT', 'http', /integer/],
    ['FLEETPLANE_LEASE_MS', '1.5', /integer >= 1/],
    ['FLEETPLANE_WORKER_CONCURRENCY', '0', /integer >= 1/],
    ['FLEETPLANE_VERIFY_TIMEOUT', '5 days', /duration/],
    ['FLEETPLANE_VERIFY_TIMEOUT', '0', /duration > 0/],
    ['FLEETPLANE_RECONCILE_INTERVAL', 'often', /duration/],
    ['FLEETPLANE_CPU_OVERCOMMIT', '-1', /number > 0/],
    ['FLEETPLANE_PRESCALE_INTERVAL_SECONDS', 'NaN', /number > 0/],
    ['FLEETPLANE_WORKERS', 'yes', /0, 1, true or false/],
    ['FLEETPLANE_LOG_LEVEL', 'loud', /one of fatal, error/],
    ['FLEETPLANE_PLACEMENT_POLICY', 'cheapest', /one of spread, binpack, cost/],
    ['FLEETPLANE_PLACEMENT_POLICY', 'prod=spread,qa=cost', /"qa" is neither an environment type/],
    ['FLEETPLANE_PLACEMENT_POLICY', 'prod=spread,staging=cheapest', /"staging=cheapest": cheapest is not one of spread, binpack, cost/],
    ['FLEETPLANE_DATABASE_URL', 'mysql://db', /postgres:\/\//],
    ['FLEETPLANE_PROMETHEUS_URL', 'prometheus:9090', /http:\/\/ or https:\/\//],
    ['FLEETPLANE_GIT_REMOTE', 'https://git.example.com/fleet.git', /must contain \{tenant\}/],
    ['FLEETPLANE_GIT_TOKEN_FILE', '/nonexistent/fp-token', /cannot read \/nonexistent\/fp-token \(ENOENT\)/],
    ['FLEETPLANE_METRICS_MAX_TENANTS', 'lots', /integer >= 1/],
  ];
  for (const [name, value, message] of cases) {
    assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${name}=${value}: ${String(e)}`);
      assert.ok(e.message.startsWith(`${name} `) || e.message.startsWith(`${name}:`), e.message);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    }, `${name}=${value}`);
  }
  const secret = 'not-32-bytes-but-secret-looking-value';
  assert.throws(() => loadConfig({ FLEETPLANE_SECRET_KEY: secret }), (e: unknown) => e instanceof ConfigError && /^FLEETPLANE_SECRET_KEY must be 32 bytes/.test(e.message) && !e.message.includes(secret));
});

test('FLEETPLANE_PLACEMENT_POLICY: one policy, or one per environment type or tier (the rest on the default)', () => {
  assert.equal(loadConfig({}).engine.placementPolicy, 'spread');
  assert.equal(loadConfig({ FLEETPLANE_PLACEMENT_POLICY: 'binpack' }).engine.placementPolicy, 'binpack');
  assert.deepEqual(loadConfig({ FLEETPLANE_PLACEMENT_POLICY: 'prod=spread,staging=binpack,dev=cost' }).engine.placementPolicy,
    { default: 'spread', byType: { prod: 'spread', staging: 'binpack', dev: 'cost' } });
  assert.deepEqual(loadConfig({ FLEETPLANE_PLACEMENT_POLICY: 'default=cost,dedicated=binpack' }).engine.placementPolicy,
    { default: 'cost', byTier: { dedicated: 'binpack' } });
});

test('FLEETPLANE_TOKEN_MAX_TTL: unset is no maximum; a duration becomes whole seconds; junk or over ten years is refused', () => {
  assert.equal(loadConfig({}).server.tokenMaxTtlSeconds, undefined);
  assert.equal(loadConfig({ FLEETPLANE_TOKEN_MAX_TTL: '90d' }).server.tokenMaxTtlSeconds, 90 * 86400);
  assert.equal(loadConfig({ FLEETPLANE_TOKEN_MAX_TTL: '12h' }).server.tokenMaxTtlSeconds, 12 * 3600);
  assert.throws(() => loadConfig({ FLEETPLANE_TOKEN_MAX_TTL: 'forever' }), (e: unknown) => e instanceof ConfigError && /FLEETPLANE_TOKEN_MAX_TTL/.test(e.message));
  assert.throws(() => loadConfig({ FLEETPLANE_TOKEN_MAX_TTL: '500ms' }), ConfigError);
  assert.throws(() => loadConfig({ FLEETPLANE_TOKEN_MAX_TTL: '4000d' }), ConfigError);
});

test('FLEETPLANE_GITOPS_VERIFY_TIMEOUT sets the GitOps verify budget; absent, the engine derives it', () => {
  assert.equal('gitopsVerifyTimeoutMs' in loadConfig({}).engine, false);
  assert.equal(loadConfig({ FLEETPLANE_GITOPS_VERIFY_TIMEOUT: '15m' }).engine.gitopsVerifyTimeoutMs, 900_000);
  assert.throws(() => loadConfig({ FLEETPLANE_GITOPS_VERIFY_TIMEOUT: 'soon' }), ConfigError);
});

test('FLEETPLANE_PLATFORM_CONFIG: a YAML or JSON mapping is read; a missing file, non-YAML, duplicate keys or a non-mapping is one line naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-platform-'));
  try {
    const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
    const ok = file('platform.yaml', 'baseDomain: saas.example.net\negressTargets:\n  database: [10.50.0.0/16]\nsecretStore:\n  server: https://vault.prod:8200\n  kvMount: kv\n  authMountPath: k8s\n');
    assert.deepEqual(loadConfig({ FLEETPLANE_PLATFORM_CONFIG: ok }).platform, {
      file: ok, values: { baseDomain: 'saas.example.net', egressTargets: { database: ['10.50.0.0/16'] }, secretStore: { server: 'https://vault.prod:8200', kvMount: 'kv', authMountPath: 'k8s' } },
    });
    assert.equal(loadConfig({}).platform, undefined);
    const refused = (env: Record<string, string>, re: RegExp) => assert.throws(() => loadConfig(env), (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'));
    refused({ FLEETPLANE_PLATFORM_CONFIG: join(dir, 'missing.yaml') }, /FLEETPLANE_PLATFORM_CONFIG: cannot read .*missing\.yaml \(ENOENT\)/);
    refused({ FLEETPLANE_PLATFORM_CONFIG: file('bad.yaml', 'baseDomain: [unclosed\n') }, /bad\.yaml is not YAML or JSON/);
    refused({ FLEETPLANE_PLATFORM_CONFIG: file('dup.yaml', 'baseDomain: a.example\nbaseDomain: b.example\n') }, /dup\.yaml is not YAML or JSON/);
    refused({ FLEETPLANE_PLATFORM_CONFIG: file('list.json', '["a"]') }, /list\.json must hold a mapping/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
