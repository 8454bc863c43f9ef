// The cluster-upgrade checks read the environments' workloads live (src/engine/live-readiness.ts),
// not their stored health: on the real API, store (both backends) and controller, against real
// testbed clusters fp-13, fp-14, fp-15 (this file's only clusters; brought up when not running and
// then removed at the end; fp-1..3 are never touched). Each cluster runs a real Deployment of an environment whose
// stored applied revision names it; the store says Ready throughout.
//   1. pre-flight: fp-13's Deployment is made not-ready live (its image patched to a never-ready
//      one); the plan holds fp-13 and, past the verify timeout on the injected clock, halts naming
//      the environment and the Deployment's reason; nothing is upgraded;
//   2. post-cluster wait: the "upgrade" breaks the Deployment; the wait is bounded and the plan
//      halts naming the environment and the reason;
//   3. a healthy fleet (a self-managed environment there is skipped, though nothing of it runs) passes.
// The provider records its calls instead of restarting control planes (the real upgrade is
// cluster-upgrade-fleet.test.ts); the heartbeat reports the version the provider set. Namespaces
// h16r-live-… are deleted at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { ClusterConnections, KubeClient } from '../../src/adapters/kube/index.ts';
import { ClusterUpgradeController } from '../../src/engine/cluster-upgrades.ts';
import { readLiveReadiness, type LiveVerdict } from '../../src/engine/live-readiness.ts';
import type { ClusterUpgrade } from '../../src/domain/cluster-upgrade.ts';
import { LABELS, type Cluster, type KubeObject } from '../../src/domain/types.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS, ensureTestbed, testbedDown, testbedStatus } from '../../testbed/index.ts';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';
import { eventually } from '../helpers/eventually.ts';

const NAMES = ['fp-13', 'fp-14', 'fp-15'] as const;
const [A, B] = NAMES;
const FROM = KUBERNETES_VERSIONS[1]!;
const TO = DEFAULT_KUBE_VERSION;
const GOOD = 'registry.example.com/web:1.0.0';
const NEVER_READY = 'registry.example.com/web:1.0.1-never-ready';
const REVISION = 'live1';
const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });
const VERIFY_TIMEOUT_MS = 120_000;

const clients = new Map<string, KubeClient>();
const kubeconfigs = new Map<string, { apiServer: string; kubeconfig: string }>();
const namespaces: Array<[string, string]> = [];

/** The clusters this file brought up (or restarted): removed at the end, so none outlives the file. */
const created: string[] = [];

before(async () => {
  const status = await testbedStatus();
  for (const n of NAMES) {
    // A cluster known to the testbed is not necessarily running: a restored cache holds the state of
    // clusters whose processes are gone (CI's first run here got ECONNREFUSED from such an fp-13).
    const running = status.find((s) => s.name === n && s.healthy);
    if (!running) created.push(n);
    const st = running ?? (await ensureTestbed({ names: [n], buildRest: false, log: () => undefined }))[0]!;
    kubeconfigs.set(n, { apiServer: st.apiServer, kubeconfig: st.kubeconfig });
    clients.set(n, KubeClient.fromKubeconfig({ path: st.kubeconfig }));
  }
}, { timeout: 15 * 60_000 });

after(async () => {
  for (const [cluster, ns] of namespaces) await clients.get(cluster)!.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => undefined);
  if (created.length) await testbedDown(created).catch(() => undefined);
});

const deployment = (ns: string, image: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, labels: { [LABELS.revision]: REVISION } },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image }] } } },
});

for (const backend of BACKENDS) {
  describe(`cluster upgrade checks read the workloads live (${backend})`, () => {
    let h: Harness;
    let now = new Date('2026-12-03T12:00:00Z');
    const versions = new Map<string, string>();
    const calls: string[] = [];
    /** What the provider does besides recording (test 2 breaks the Deployment there). */
    let onUpgrade: (c: Cluster) => Promise<void> = async () => undefined;
    const ns = (cluster: string) => `h16r-live-${backend}-${cluster}`;
    const tenantOf = (cluster: string) => `h16r-${backend.slice(0, 2)}-${cluster.replace(/[^a-z0-9]/g, '')}`;
    let connections: ClusterConnections;
    const live = (cluster: string): Promise<LiveVerdict[]> => readLiveReadiness({ store: h.store, connections }, cluster);
    let controller: ClusterUpgradeController;

    const setVersion = async (cluster: string, version: string) => {
      versions.set(cluster, version);
      await h.store.clusters.setHealth(cluster, {
        state: 'Available', reason: 'ProbeSucceeded', message: 'ok', since: now.toISOString(), failingSince: null, consecutiveFailures: 0, lastProbeAt: now.toISOString(), version,
      });
    };
    const setImage = (cluster: string, image: string) => clients.get(cluster)!.apply(deployment(ns(cluster), image));
    const liveState = async (cluster: string, state: LiveVerdict['state']) => {
      const v = (await live(cluster)).find((x) => x.tenant === tenantOf(cluster));
      return v?.state === state ? v : undefined;
    };
    const drive = async (id: string, whenHeld: (u: ClusterUpgrade) => boolean) => {
      let u = (await h.store.clusterUpgrades.get(id))!;
      let skipped = false;
      for (let i = 0; i < 50 && u.state === 'running'; i++) {
        u = await controller.advance((await h.store.clusterUpgrades.get(id))!);
        if (!skipped && whenHeld(u)) {
          skipped = true;
          now = new Date(now.getTime() + VERIFY_TIMEOUT_MS + 1000); // past the verify timeout, on the injected clock
        }
      }
      return u;
    };

    before(async () => {
      h = await harness(backend);
      connections = new ClusterConnections(h.store.clusters);
      for (const n of NAMES) {
        const st = kubeconfigs.get(n)!;
        const r = await h.req('POST', '/v1/clusters', { body: { name: n, provider: 'aws', region: 'eu-west-1', apiServer: st.apiServer, credentials: await readFile(st.kubeconfig, 'utf8') } });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        await setVersion(n, FROM);
        const client = clients.get(n)!;
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns(n) } });
        namespaces.push([n, ns(n)]);
        await eventually('default service account', async () => (await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns(n), name: 'default' })) ?? undefined);
        await setImage(n, GOOD);
        const tenant = tenantOf(n);
        await h.store.tenants.create({ slug: tenant, name: tenant, tier: 'shared', channel: 'saas', labels: {} });
        await h.store.revisions.save({ id: REVISION, tenant, environment: 'prod', blueprint: 'demo-app', version: '1.0.0', helmValues: [], objects: [{ object: deployment(ns(n), GOOD), hash: 'h1' }] });
        await h.store.environments.create({
          tenant, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: n, namespace: ns(n) },
          delivery: 'direct', selfHeal: true, health: 'Ready', conditions: [], appliedRevision: REVISION,
        });
      }
      // A self-managed environment on B whose objects are not on the cluster at all: skipped, not read.
      const sm = `h16r-${backend.slice(0, 2)}-selfmanaged`;
      await h.store.tenants.create({ slug: sm, name: sm, tier: 'shared', channel: 'self-managed', labels: {} });
      await h.store.revisions.save({ id: REVISION, tenant: sm, environment: 'onprem', blueprint: 'demo-app', version: '1.0.0', helmValues: [], objects: [{ object: deployment('nowhere', GOOD), hash: 'h1' }] });
      await h.store.environments.create({
        tenant: sm, name: 'onprem', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster: B, namespace: 'nowhere' },
        delivery: 'direct', selfHeal: true, health: 'Published', conditions: [], appliedRevision: REVISION,
      });
      for (const n of NAMES) await eventually(`${n}'s Deployment Ready live`, () => liveState(n, 'ready'));
      controller = new ClusterUpgradeController({
        store: h.store,
        provider: { name: 'recording', upgrade: async (c: Cluster, to: string) => { calls.push(`${c.name}->${to}`); versions.set(c.name, to); await onUpgrade(c); } },
        heartbeat: async (c) => { await setVersion(c.name, versions.get(c.name)!); return true; },
        logger, now: () => now, verifyTimeoutMs: VERIFY_TIMEOUT_MS,
        readiness: (cluster) => live(cluster),
      }, 0);
    }, { timeout: 10 * 60_000 });
    after(async () => h?.close());

    test('pre-flight: a Deployment not ready live (the store says Ready) holds the cluster, then halts the plan naming the environment and why; nothing upgraded', { timeout: 10 * 60_000 }, async () => {
      await setImage(A, NEVER_READY);
      const seen = await eventually(`${A}'s Deployment not ready live`, () => liveState(A, 'not-ready'));
      assert.match(seen.reason, /^Deployment web: /);
      assert.equal((await h.store.environments.get(tenantOf(A), 'prod'))!.health, 'Ready', 'the stored health still says Ready');
      const plan = await h.req('POST', '/v1/cluster-upgrades', { body: { target: TO, clusters: [A, B], canary: A, waveSize: 1 } });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      let held: string | undefined;
      const u = await drive(plan.body.id, (x) => {
        const m = x.progress[A]?.message ?? '';
        if (/^holding: environments not Ready before the upgrade: /.test(m)) held ??= m;
        return held !== undefined;
      });
      assert.equal(held?.startsWith(`holding: environments not Ready before the upgrade: ${tenantOf(A)}/prod Deployment web: `), true, held);
      assert.equal(u.state, 'failed', JSON.stringify(u));
      assert.match(u.reason ?? '', new RegExp(`^${A}: pre-flight failed: environments not Ready before the upgrade: ${tenantOf(A)}/prod Deployment web: \\S`));
      assert.equal(u.progress[B]?.state ?? 'pending', 'pending');
      assert.deepEqual(calls, [], 'nothing upgraded');
      console.log(JSON.stringify({ backend, preflightHalt: u.reason }));
      assert.equal((await h.req('GET', `/v1/cluster-upgrades/${plan.body.id}`)).body.state, 'failed');
      await setImage(A, GOOD);
      await eventually(`${A}'s Deployment Ready live again`, () => liveState(A, 'ready'));
    });

    test('post-cluster wait: a Deployment the upgrade left not ready halts the plan after the bounded wait, naming the environment and why', { timeout: 10 * 60_000 }, async () => {
      onUpgrade = async (c) => {
        await setImage(c.name, NEVER_READY);
        await eventually(`${c.name}'s Deployment not ready live`, () => liveState(c.name, 'not-ready'));
      };
      const plan = await h.req('POST', '/v1/cluster-upgrades', { body: { target: TO, clusters: [A], canary: A } });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      let waiting: string | undefined;
      const u = await drive(plan.body.id, (x) => {
        const m = x.progress[A]?.message ?? '';
        if (x.progress[A]?.state === 'verifying' && m.startsWith('waiting: ')) waiting ??= m;
        return waiting !== undefined;
      });
      onUpgrade = async () => undefined;
      assert.equal(waiting?.startsWith(`waiting: environments not Ready: ${tenantOf(A)}/prod Deployment web: `), true, waiting);
      assert.equal(u.state, 'failed', JSON.stringify(u));
      assert.match(u.reason ?? '', new RegExp(`^${A}: check failed: environments not Ready: ${tenantOf(A)}/prod Deployment web: \\S`));
      assert.deepEqual(calls, [`${A}->${TO}`]);
      console.log(JSON.stringify({ backend, postClusterHalt: u.reason }));
      assert.equal((await h.store.environments.get(tenantOf(A), 'prod'))!.health, 'Ready', 'decided live, not by the stored health');
      await setImage(A, GOOD);
      await eventually(`${A}'s Deployment Ready live again`, () => liveState(A, 'ready'));
    });

    test('a healthy fleet passes: every cluster done with its environments Ready live; the self-managed one is skipped', { timeout: 10 * 60_000 }, async () => {
      await setVersion(A, FROM);
      calls.length = 0;
      const skipped = (await live(B)).find((v) => v.state === 'skipped');
      assert.equal(skipped?.reason, 'self-managed (the customer runs it)');
      const plan = await h.req('POST', '/v1/cluster-upgrades', { body: { target: TO, clusters: [...NAMES], canary: A, waveSize: 2 } });
      assert.equal(plan.status, 201, JSON.stringify(plan.body));
      const u = await drive(plan.body.id, () => false);
      assert.equal(u.state, 'succeeded', JSON.stringify(u));
      for (const n of NAMES) assert.equal(u.progress[n]?.message, `on ${TO}, environments Ready`);
      assert.deepEqual([...calls].sort(), NAMES.map((n) => `${n}->${TO}`).sort());
      assert.ok(calls.indexOf(`${A}->${TO}`) === 0, 'the canary first');
    });
  });
}
