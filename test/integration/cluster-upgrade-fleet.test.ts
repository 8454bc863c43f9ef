// Cluster upgrades in waves over three real testbed clusters of this file's own (fp-10, fp-11, fp-12,
// created at the previous minor, stopped at the end; fp-1..3 are never touched), registered through
// the API with different provider/region labels, each with an environment (a real Deployment there,
// tenant prefix h16u). First a halting plan: the canary's environment is not Ready before anything is
// upgraded, so the pre-flight holds it and, past the verify timeout, halts the plan with the reason;
// all three stay on the previous minor. Then the real plan: canary first, an approval through the API,
// a soak (injected clock), then one wave of the other two; each cluster's environments Ready before the
// next; every cluster reports the target
// read from the cluster and the fleet version report shows no skew.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { ClusterConnections, KubeClient, deploymentReadiness } from '../../src/adapters/kube/index.ts';
import { testbedUpgradeProvider } from '../../src/adapters/upgrade/testbed.ts';
import { ClusterInventory } from '../../src/engine/cluster-inventory.ts';
import { ClusterUpgradeController } from '../../src/engine/cluster-upgrades.ts';
import type { ClusterUpgrade } from '../../src/domain/cluster-upgrade.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS, buildAll, ensureTestbed, testbedDown, testbedStatus } from '../../testbed/index.ts';
import { harness, type Harness } from '../helpers/api-harness.ts';
import { eventually as waitFor } from '../helpers/eventually.ts';

const NAMES = (process.env.FLEETPLANE_TEST_UPGRADE_FLEET ?? 'fp-10,fp-11,fp-12').split(',');
const [A, B, C] = NAMES as [string, string, string];
const LABELS: Record<string, { provider: string; region: string }> = {
  [A]: { provider: 'aws', region: 'eu-west-1' }, [B]: { provider: 'gcp', region: 'us-central1' }, [C]: { provider: 'azure', region: 'westeurope' },
};
const FROM = KUBERNETES_VERSIONS[1]!;
const TO = DEFAULT_KUBE_VERSION;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = pino({ level: process.env.FLEETPLANE_TEST_LOG ?? 'silent' });

let h: Harness;
const clients = new Map<string, KubeClient>();
const created: string[] = [];
// The controller's clock: real time plus what the test skips (the soak).
let skew = 0;
const now = () => new Date(Date.now() + skew);

const eventually = <T>(what: string, probe: () => Promise<T | undefined>, limitMs = 240_000): Promise<T> => waitFor(what, probe, limitMs);

before(() => buildAll({ only: [`kubernetes@${FROM}`], log: () => undefined }).then(() => undefined), { timeout: 60 * 60_000 });

before(async () => {
  const status = await testbedStatus();
  for (const n of NAMES) {
    const existing = status.find((s) => s.name === n);
    assert.ok(!existing || existing.version === FROM, `${n} exists at ${existing?.version}; remove it or set FLEETPLANE_TEST_UPGRADE_FLEET`);
  }
  // One at a time: three control planes starting at once on a shared 2-core machine only slow each other.
  const states = [];
  for (const n of NAMES) {
    const existing = status.find((s) => s.name === n);
    if (!existing) created.push(n);
    states.push(existing ?? (await ensureTestbed({ names: [n], version: FROM, buildRest: false, log: () => undefined }))[0]!);
  }
  h = await harness('postgres');
  for (const st of states) {
    const body = { name: st.name, ...LABELS[st.name]!, apiServer: st.apiServer, credentials: await readFile(st.kubeconfig, 'utf8') };
    const r = await h.req('POST', '/v1/clusters', { body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    clients.set(st.name, KubeClient.fromKubeconfig({ path: st.kubeconfig }));
  }
}, { timeout: 15 * 60_000 });

after(async () => {
  await h?.close();
  await testbedDown(NAMES).catch(() => undefined);
});

/** A small real workload on the cluster (one replica) and its environment record. */
async function onboard(cluster: string): Promise<string> {
  const client = clients.get(cluster)!;
  const ns = `h16u-${cluster}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await eventually('default service account', async () => (await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: 'default' })) ?? undefined);
  await client.apply({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1.0.0' }] } } },
  });
  await eventually(`Deployment Ready on ${cluster}`, () => ready(cluster));
  const tenant = `h16u-${cluster.replace(/[^a-z0-9]/g, '')}`;
  await h.store.tenants.create({ slug: tenant, name: tenant, tier: 'shared', channel: 'saas', labels: {} });
  await h.store.environments.create({
    tenant, name: 'prod', type: 'prod', blueprint: 'demo-app', version: '1.0.0', values: {}, placement: { cluster, namespace: ns },
    delivery: 'direct', selfHeal: true, health: 'Ready', conditions: [],
  });
  return tenant;
}

async function ready(cluster: string) {
  const d = await clients.get(cluster)!.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: `h16u-${cluster}`, name: 'web' });
  return d && deploymentReadiness(d as never).state === 'Ready' ? d : undefined;
}

const versionOf = async (cluster: string) => (await clients.get(cluster)!.version()).gitVersion;

test(`three clusters ${FROM} -> ${TO}: a failing canary check halts the plan; then canary, approval, soak, the next wave; no skew left`, { timeout: 30 * 60_000 }, async () => {
  const tenants = new Map<string, string>();
  for (const n of NAMES) tenants.set(n, await onboard(n));
  const inventory = new ClusterInventory({ store: h.store, connections: new ClusterConnections(h.store.clusters), logger, now }, 0);
  await inventory.refreshAll();
  for (const n of NAMES) assert.equal((await h.store.clusters.get(n))!.health?.version, FROM);
  const controller = new ClusterUpgradeController({
    store: h.store, provider: testbedUpgradeProvider(), heartbeat: (c) => inventory.heartbeat(c), logger, now, verifyTimeoutMs: 120_000,
  }, 0);
  // Drives a plan until it leaves `running`; records when each cluster started and finished, and each state seen.
  const drive = async (id: string, limit = 2000) => {
    let u = (await h.store.clusterUpgrades.get(id))!;
    for (let i = 0; i < limit && u.state === 'running'; i++) {
      u = await controller.advance((await h.store.clusterUpgrades.get(id))!);
      if (u.state === 'running') await sleep(250);
    }
    return u;
  };

  // 1. Halting: C is the canary and its environment is not Ready before anything is upgraded: the
  // pre-flight holds C (nothing upgraded), and past the verify timeout (skipped on the injected
  // clock) the plan halts; every cluster stays on FROM, read from the clusters.
  await h.store.environments.update(tenants.get(C)!, 'prod', { health: 'Degraded' });
  const bad = await h.req('POST', '/v1/cluster-upgrades', { body: { target: TO, clusters: NAMES, canary: C, waveSize: 2 } });
  assert.equal(bad.status, 201, JSON.stringify(bad.body));
  const halted0 = Date.now();
  let halted: ClusterUpgrade = (await h.store.clusterUpgrades.get(bad.body.id))!;
  for (let i = 0; i < 2000 && halted.state === 'running'; i++) {
    halted = await controller.advance(halted);
    if (/^holding: environments not Ready before the upgrade/.test(halted.progress[C]?.message ?? '') && skew === 0) {
      assert.equal(halted.progress[C]?.state, 'pending', 'held, not started');
      skew += 121_000;
    }
    if (halted.state === 'running') await sleep(250);
  }
  assert.equal(halted.state, 'failed', JSON.stringify(halted));
  assert.match(halted.reason ?? '', new RegExp(`^${C}: pre-flight failed: environments not Ready before the upgrade: ${tenants.get(C)}/prod Degraded`));
  assert.equal((await h.req('GET', `/v1/cluster-upgrades/${bad.body.id}`)).body.state, 'failed');
  for (const n of NAMES) assert.equal(await versionOf(n), FROM, `${n} untouched by the halted plan`);
  const canarySeconds = (Date.now() - halted0) / 1000;
  await h.store.environments.update(tenants.get(C)!, 'prod', { health: 'Ready' });

  // 2. The plan: A canary, approval through the API, soak, then one wave of B and C together.
  const plan = await h.req('POST', '/v1/cluster-upgrades', { body: { target: TO, clusters: NAMES, canary: A, waveSize: 2, approval: true, soakSeconds: 600 } });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  assert.deepEqual(plan.body.plan.waves.map((w: Array<{ cluster: string }>) => w.map((s) => s.cluster).sort()), [[A], [B, C].sort()]);
  assert.deepEqual(plan.body.plan.skipped, []);
  const t0 = Date.now();
  let u = await drive(plan.body.id);
  const aSeconds = (Date.now() - t0) / 1000;
  assert.equal(u.state, 'paused', JSON.stringify(u));
  assert.match(u.reason ?? '', /awaiting approval/);
  assert.equal(u.progress[A]?.state, 'done');
  assert.equal(await versionOf(A), TO);
  assert.ok(await ready(A), `${A}'s Deployment Ready after its upgrade`);
  for (const n of [B, C]) assert.equal(await versionOf(n), FROM, 'the wave waits for the approval');
  assert.equal((await h.req('POST', `/v1/cluster-upgrades/${plan.body.id}:resume`)).status, 200);
  // Soaking: passes change nothing until the injected clock passes the soak.
  for (let i = 0; i < 3; i++) u = await controller.advance((await h.store.clusterUpgrades.get(plan.body.id))!);
  assert.equal(u.state, 'running');
  for (const n of [B, C]) {
    assert.equal(u.progress[n]?.state ?? 'pending', 'pending', 'soaking');
    assert.equal(await versionOf(n), FROM);
  }
  skew += 601_000;
  const t1 = Date.now();
  u = await drive(plan.body.id);
  const bSeconds = (Date.now() - t1) / 1000;
  assert.equal(u.state, 'succeeded', JSON.stringify(u));
  for (const n of [B, C]) assert.ok(Date.parse(u.progress[n]!.startedAt!) >= Date.parse(u.progress[A]!.finishedAt!), `${n}: the wave started after the canary finished`);
  for (const n of NAMES) {
    assert.equal(await versionOf(n), TO, `${n} read from the cluster`);
    assert.ok(await eventually(`${n}'s Deployment Ready`, () => ready(n)));
  }
  await inventory.refreshAll();
  const report = await h.req('GET', '/v1/fleet/versions');
  assert.equal(report.status, 200);
  assert.deepEqual(report.body.byVersion, { [TO]: [...NAMES].sort() });
  for (const c of report.body.clusters as Array<{ name: string; warnings: Array<{ kind: string }> }>) {
    assert.deepEqual(c.warnings.filter((w) => w.kind === 'mixed-minors' || w.kind === 'behind-newest-minor' || w.kind === 'outside-release-range'), [], `${c.name}: no skew`);
  }
  console.log(JSON.stringify({ upgrade: `${FROM}->${TO}`, canaryHaltSeconds: Math.round(canarySeconds), canarySeconds: Math.round(aSeconds), waveSeconds: Math.round(bSeconds) }));
});
