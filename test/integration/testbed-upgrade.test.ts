// In-place control-plane upgrade of a real testbed cluster: created at the previous minor, a Deployment
// made before the upgrade is still there and Ready after it, on the same etcd data; every node reports
// the new kubelet version; downgrades and skipped minors are refused with a one-line error.
// The cluster is FLEETPLANE_TEST_UPGRADE_CLUSTER (default fp-4), created and removed by this file; it
// refuses to touch a cluster that already exists.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeClient, deploymentReadiness } from '../../src/adapters/kube/index.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS, buildAll, ensureTestbed, testbedDown, testbedStatus, upgradeCluster } from '../../testbed/index.ts';
import { stateRoot } from '../../testbed/lib/config.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME = process.env.FLEETPLANE_TEST_UPGRADE_CLUSTER ?? 'fp-4';
const FROM = KUBERNETES_VERSIONS[1]!;
const TO = DEFAULT_KUBE_VERSION;
const CLI = path.join(import.meta.dirname, '..', '..', 'testbed', 'cli.ts');

// Generous limits: on a loaded CI machine the restarted controllers first wait out their leader leases.
// On a timeout, `describe` says what the cluster showed last, so a failure can be read from the log.
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 300_000, describe?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}${describe ? `; last seen: ${await describe().catch((e: unknown) => String(e))}` : ''}`);
    await sleep(300);
  }
}

/** The testbed CLI in its own state dir: its one-line error and exit code. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
}

// The previous minor's binaries may still be compiling (CI builds them in the background while the
// suite runs): wait for that build under the component's lock, outside any test's timeout.
before(() => buildAll({ only: [`kubernetes@${FROM}`], log: () => undefined }).then(() => undefined), { timeout: 60 * 60_000 });

test('upgrade refuses a skipped minor and a downgrade (CLI, one line, non-zero exit, record unchanged)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fp-testbed-refuse-'));
  try {
    // Cluster records only: the refusal comes before any process is touched.
    for (const [name, version] of [['fp-7', 'v1.35.4'], ['fp-8', TO]] as const) {
      await fs.mkdir(path.join(dir, name));
      await fs.writeFile(path.join(dir, name, 'cluster.json'), JSON.stringify({ kubernetesVersion: version, createdAt: new Date().toISOString(), upgrades: [] }));
    }
    const skip = await cli(['upgrade', 'fp-7', '--to', TO], { FLEETPLANE_TESTBED_DIR: dir });
    assert.equal(skip.code, 1);
    assert.equal(skip.stderr.trim(), `testbed: fp-7 runs v1.35.4: upgrade one minor at a time (to v1.36 first), not straight to ${TO}`);
    const down = await cli(['upgrade', 'fp-8', '--to', FROM], { FLEETPLANE_TESTBED_DIR: dir });
    assert.equal(down.code, 1);
    assert.equal(down.stderr.trim(), `testbed: fp-8 runs ${TO}: refusing to downgrade to ${FROM}`);
    const unknown = await cli(['upgrade', 'fp-8', '--to', 'v1.99.0'], { FLEETPLANE_TESTBED_DIR: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr.trim(), /^testbed: Kubernetes v1\.99\.0 is not a release this testbed builds \(v1\.37\.2, v1\.36\.3\)$/);
    for (const [name, version] of [['fp-7', 'v1.35.4'], ['fp-8', TO]]) {
      const rec = JSON.parse(await fs.readFile(path.join(dir, name!, 'cluster.json'), 'utf8')) as { kubernetesVersion: string };
      assert.equal(rec.kubernetesVersion, version, `${name} record unchanged`);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test(`a cluster created at ${FROM} is upgraded in place to ${TO}; its Deployment is still there and Ready`, async (t) => {
  assert.ok(!existsSync(path.join(stateRoot(), NAME)), `${NAME} already exists; set FLEETPLANE_TEST_UPGRADE_CLUSTER to an unused cluster name`);
  t.after(() => testbedDown([NAME]).then(() => undefined));
  const [created] = await ensureTestbed({ names: [NAME], version: FROM, buildRest: false, log: () => undefined });
  assert.equal(created!.version, FROM);
  const client = KubeClient.fromKubeconfig({ path: created!.kubeconfig });
  assert.equal((await client.version()).gitVersion, FROM);
  const ns = `upgrade-${Date.now().toString(36)}`;
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await eventually('default service account', async () => (await client.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: 'default' })) ?? undefined);
  const dep = await client.apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1.0.0' }] } } },
  });
  const ready = async () => {
    const d = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    return d && deploymentReadiness(d as never).state === 'Ready' ? d : undefined;
  };
  await eventually('Deployment Ready before the upgrade', ready);

  // A release this testbed does not build is refused before anything restarts.
  await assert.rejects(upgradeCluster(NAME, 'v1.35.4', () => undefined), /not a release this testbed builds/);

  const lines: string[] = [];
  const result = await upgradeCluster(NAME, TO, (l) => lines.push(l));
  assert.deepEqual([result.from, result.to], [FROM, TO]);
  assert.deepEqual(Object.keys(result.steps), ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'], 'components restart in this order');
  assert.equal((await client.version()).gitVersion, TO);

  // Same etcd data: the very same Deployment (uid) is there and Ready again.
  const after = await eventually('Deployment Ready after the upgrade', ready);
  assert.equal(after.metadata.uid, dep.metadata.uid);
  const nodes = (await client.list('v1', 'Node', { labelSelector: { type: 'kwok' } })) as Array<{ status?: { nodeInfo?: { kubeletVersion?: string } } }>;
  assert.equal(nodes.length, 8);
  for (const n of nodes) assert.equal(n.status?.nodeInfo?.kubeletVersion, TO);
  const status = (await testbedStatus()).find((s) => s.name === NAME);
  assert.equal(status?.version, TO);
  assert.equal(status?.healthy, true);

  // The new controllers work: a new ReplicaSet rolls out on the upgraded control plane.
  await client.apply({ ...dep, metadata: { name: 'web', namespace: ns }, spec: { ...(dep.spec as object), template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1.1.0' }] } } } } as never);
  await eventually('rollout of 1.1.0 on the upgraded cluster', async () => {
    const d = await ready();
    const image = (d?.spec as { template?: { spec?: { containers?: Array<{ image: string }> } } } | undefined)?.template?.spec?.containers?.[0]?.image;
    return d && image === 'registry.example.com/web:1.1.0' && (d.status as { updatedReplicas?: number })?.updatedReplicas === 2 ? d : undefined;
  }, 300_000, async () => {
    const d = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    const rs = await client.list('apps/v1', 'ReplicaSet', { namespace: ns });
    const pods = await client.list('v1', 'Pod', { namespace: ns });
    return JSON.stringify({ deployment: d?.status, replicaSets: rs.map((r) => ({ name: r.metadata.name, status: r.status })), pods: pods.map((p) => ({ name: p.metadata.name, node: (p.spec as { nodeName?: string }).nodeName, phase: (p.status as { phase?: string }).phase })) });
  });

  // Now at the newest release: going back is refused, and the cluster stays as it is.
  await assert.rejects(upgradeCluster(NAME, FROM, () => undefined), new RegExp(`^Error: ${NAME} runs ${TO.replaceAll('.', '\\.')}: refusing to downgrade to ${FROM.replaceAll('.', '\\.')}$`));
  assert.equal((await client.version()).gitVersion, TO);
});
