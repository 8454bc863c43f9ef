// A throttled cluster API (HTTP 429 with Retry-After, as API Priority and Fairness answers under
// load) is a transient failure: the onboarding's deliver step is retried after the cluster's
// Retry-After and the environment ends Ready, with no rollback and no failure recorded on it. The
// API server is the real testbed one behind a loopback proxy that refuses the first writes.
// PostgreSQL, the real engine in process, testbed cluster fp-1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { Environment } from '../../src/domain/types.ts';
import { startEngine, type Engine } from '../../src/engine/index.ts';
import { throttlingProxy, type ThrottlingProxy } from '../helpers/throttling-proxy.ts';
import { operationDone, setupFleet, uniqueSlug, type Fleet } from './engine.fixture.ts';
import { SAMPLE_BLUEPRINT } from '../../demo/sample-blueprint.ts';

const THROTTLED_WRITES = 2;
let fleet: Fleet;
let engine: Engine;
let proxy: ThrottlingProxy;
const tenant = uniqueSlug('thr');
const clusterName = `${tenant}-c`;

before(async () => {
  fleet = await setupFleet();
  proxy = await throttlingProxy(fleet.clusters[0]!, { throttle: THROTTLED_WRITES, retryAfterSeconds: 1 });
  await fleet.store.clusters.upsert({ name: clusterName, provider: 'local', region: 'local', labels: {}, role: 'shared', apiServer: proxy.url, credentials: proxy.kubeconfig });
  const meta = SAMPLE_BLUEPRINT.metadata;
  await fleet.store.blueprints.publish({ name: meta.name, version: meta.version, spec: SAMPLE_BLUEPRINT.spec as unknown as Record<string, unknown>, digest: 'test' });
  engine = await startEngine({
    store: fleet.store, logger: pino({ level: 'silent' }), workerId: `${tenant}-engine`, reconcileIntervalMs: 0, clusterRefreshIntervalMs: 0, pollMs: 200, verifyTimeoutMs: 120_000,
  });
});

after(async () => {
  await engine?.stop();
  await proxy?.close();
  await fleet?.clusters[0]?.client().delete({ apiVersion: 'v1', kind: 'Namespace', name: `${tenant}-prod` }).catch(() => false);
  await fleet?.cleanup();
});

test('a throttled apply during onboarding is retried after Retry-After and succeeds without a rollback', async () => {
  await fleet.store.tenants.create({ slug: tenant, name: tenant, tier: 'shared', channel: 'saas', labels: {} });
  await fleet.store.environments.create({
    tenant, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: clusterName, namespace: `${tenant}-prod` },
    delivery: 'direct', selfHeal: false, desiredRevision: null, appliedRevision: null, lastGoodRevision: null, health: 'Progressing', conditions: [],
  });
  const { operation } = await fleet.store.operations.create({ kind: 'onboard', tenant, environment: 'prod', params: {}, steps: [], idempotencyKey: null, requestId: null });
  engine.nudge();
  const done = await operationDone(fleet, operation.id, 180_000, 300);

  assert.equal(done.state, 'succeeded', `${done.error ?? ''} ${JSON.stringify(done.result)}`);
  assert.equal(proxy.throttled.length, THROTTLED_WRITES, `the proxy refused ${THROTTLED_WRITES} writes: ${proxy.throttled.join(', ')}`);
  assert.equal(done.attempts, THROTTLED_WRITES + 1, 'one attempt per refusal, then the one that went through');
  const runs = (await fleet.store.queue.stepRuns(operation.id)).filter((r) => r.step === 'deliver');
  assert.deepEqual(runs.map((r) => r.state), ['failed', 'failed', 'succeeded']);
  for (const r of runs.slice(0, 2)) assert.match(r.error ?? '', /TooManyRequests \(HTTP 429\)/);
  // The retries waited for Retry-After (1 s), not the queue's backoff alone.
  const gap = Date.parse(runs[1]!.startedAt) - Date.parse(runs[0]!.finishedAt!);
  assert.ok(gap >= 900, `second try ${gap} ms after the first failed`);

  const env = (await fleet.store.environments.get(tenant, 'prod')) as Environment;
  assert.equal(env.health, 'Ready');
  assert.ok(env.appliedRevision);
  assert.equal(env.lastGoodRevision, env.appliedRevision);
  assert.ok(!env.conditions.some((c) => c.reason === 'RolledBack' || c.reason === 'OperationFailed'), JSON.stringify(env.conditions));
  const { rows } = await fleet.store.db.query<{ action: string }>("SELECT action FROM audit_log WHERE tenant = $1 AND action NOT LIKE 'api %'", [tenant]);
  assert.deepEqual(rows.map((r) => r.action), ['environment.onboard'], 'onboarded, never rolled back');
  // The objects are on the real cluster.
  const web = await fleet.clusters[0]!.client().get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `${tenant}-prod`, name: 'web' });
  assert.equal(web?.metadata.labels?.['fleetplane.io/revision'], env.appliedRevision);
});
