// Fault (#14): a cluster's API server throttling Fleetplane with 429s mid-apply — its own API Priority
// and Fairness, not a stand-in. On fp-2 a service account gets cluster-admin and a FlowSchema that puts
// every request of that account into a priority level of one share with `Reject` (no queuing), so
// beyond a handful of concurrent requests the real kube-apiserver answers 429 with Retry-After. The
// cluster is registered with that account's token; onboardings through a real `serve` must all end
// succeeded, once each, Ready, while the server's own metrics show it rejected some of their requests.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { BLUEPRINT } from '../helpers/api-harness.ts';
import { api, publish, setupFleet, startServe, uniqueSlug, waitFor, type Fleet, type ServeProcess } from './engine.fixture.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';

const run = uniqueSlug('t').slice(2);
const name = `fp-apf-${run}`;
const clusterName = `ap${run}`;
const slugs = Array.from({ length: 8 }, (_, i) => `ap${run}-${i}`);
const FC = 'flowcontrol.apiserver.k8s.io/v1';
let fleet: Fleet;
let kube: KubeClient;
let serve: ServeProcess | undefined;

/** Requests the server rejected at our priority level, from its own /metrics. */
async function rejected(): Promise<number> {
  const text = await kube.transport.request<string>({ method: 'GET', path: '/metrics', text: true });
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('apiserver_flowcontrol_rejected_requests_total') && line.includes(`priority_level="${name}"`)) n += Number(line.split(' ').pop());
  return n;
}

before(async () => {
  fleet = await setupFleet();
  kube = fleet.clusters[1]!.client();
  await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: name } });
  await kube.apply({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token', metadata: { name, namespace: name, annotations: { 'kubernetes.io/service-account.name': name } } });
  await kube.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name, namespace: name }] });
  await kube.apply({ apiVersion: FC, kind: 'PriorityLevelConfiguration', metadata: { name }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: 'Reject' } } } });
  await kube.apply({
    apiVersion: FC, kind: 'FlowSchema', metadata: { name },
    spec: {
      priorityLevelConfiguration: { name }, matchingPrecedence: 200, distinguisherMethod: { type: 'ByUser' },
      rules: [{ subjects: [{ kind: 'ServiceAccount', serviceAccount: { name, namespace: name } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] }],
    },
  });
});

after(async () => {
  await serve?.kill('SIGTERM');
  await kube?.deleteAll(slugs.map((s) => ({ apiVersion: 'v1', kind: 'Namespace', name: `${s}-prod` })), { concurrency: 8, propagationPolicy: 'Background' }).catch(() => undefined);
  for (const ref of [{ apiVersion: FC, kind: 'FlowSchema', name }, { apiVersion: FC, kind: 'PriorityLevelConfiguration', name }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', name }, { apiVersion: 'v1', kind: 'Namespace', name }]) {
    await kube?.delete(ref).catch(() => undefined);
  }
  await fleet?.cleanup();
});

test('429s from the API server\'s own flow control mid-apply: every onboarding waits as told and succeeds once', async () => {
  const target = fleet.clusters[1]!;
  const token = await waitFor('the service account token', async () => {
    const s = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace: name, name });
    const t = (s?.data as Record<string, string> | undefined)?.token;
    return t ? Buffer.from(t, 'base64').toString() : null;
  }, 60_000, 200);
  const admin = parse(await readFile(target.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string; server: string } }> };
  const ca = admin.clusters[0]!.cluster['certificate-authority-data'];
  const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${target.apiServer}\n    certificate-authority-data: ${ca}\nusers:\n- name: u\n  user:\n    token: ${token}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`;

  serve = await startServe(fleet, { workerId: `ap-${run}`, env: { FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_VERIFY_TIMEOUT: '3m', FLEETPLANE_RATE_LIMIT: '0', FLEETPLANE_RETRY_MAX_MS: '4000', FLEETPLANE_WORKER_CONCURRENCY: '16' } });
  const client = api(serve.url, fleet.adminToken);
  const reg = await client.call('POST', '/v1/clusters', { name: clusterName, provider: 'local', region: 'local', role: 'shared', apiServer: target.apiServer, credentials: kubeconfig });
  assert.ok(reg.status < 300, JSON.stringify(reg.body));
  await publish(client, BLUEPRINT);
  const before = await rejected();

  const ids: string[] = [];
  await Promise.all(slugs.map(async (slug) => {
    const r = await client.call<{ operations: Array<{ id: string }> }>('POST', '/v1/tenants', { slug, name: slug, tier: 'shared', environments: [{ name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', cluster: clusterName }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.push(r.body.operations[0]!.id);
  }));
  const ops = await waitFor('every onboarding finished', async () => {
    const all = await Promise.all(ids.map(async (id) => (await client.call<{ state: string; error?: string }>('GET', `/v1/operations/${id}`)).body));
    return all.every((o) => o.state === 'succeeded' || o.state === 'failed') ? all : null;
  }, 600_000, 1000);
  assert.deepEqual(ops.map((o) => o.state), ids.map(() => 'succeeded'), JSON.stringify(ops.find((o) => o.state !== 'succeeded')));
  for (const slug of slugs) {
    assert.equal((await client.call<{ health: string }>('GET', `/v1/environments/${slug}/prod`)).body.health, 'Ready', slug);
    const mine = (await client.call<{ items: Array<{ kind: string }> }>('GET', `/v1/operations?tenant=${slug}&limit=20`)).body.items;
    assert.deepEqual(mine.map((o) => o.kind), ['onboard'], `${slug}: one operation`);
  }
  const n = (await rejected()) - before;
  console.log(`[apiserver-throttled] ${slugs.length} onboardings succeeded while the API server rejected ${n} of their requests with 429`);
  assert.ok(n > 0, 'the API server did throttle them (else this test proves nothing: raise the load or lower the seats)');
});
