// The testbed end to end: real API servers, real scheduler, kwok nodes, and the project's kube adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Revision } from '../../src/domain/types.ts';
import pino from 'pino';
import { KubeApiError, deploymentReadiness, isConflict, isInvalid, podsOf, readCapacity, type KubeClient } from '../../src/adapters/kube/index.ts';
import { testClusterClient } from '../helpers/cluster-client.ts';
import { DirectDriver } from '../../src/engine/drivers/direct.ts';
import type { DriverContext } from '../../src/engine/drivers/types.ts';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { getTestbed, withNamespace, createNamespace, type TestCluster } from '../helpers/testbed.ts';
import { testbedProcesses } from '../../testbed/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `probe` returns a value; the bound only stops a hung test, it asserts nothing. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 120_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(300);
  }
}

function deployment(ns: string, name: string, image: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '250m', memory: '256Mi' } } }] },
      },
    },
  };
}

type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> } };
const cond = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)?.status;

async function nodeNames(client: KubeClient, selector: Record<string, string>): Promise<Set<string>> {
  return new Set((await client.list('v1', 'Node', { labelSelector: selector })).map((n) => n.metadata.name));
}

test('a Deployment on each of 3 clusters is scheduled onto kwok nodes by the real scheduler and becomes Ready', async () => {
  const { clusters } = await getTestbed();
  assert.ok(clusters.length >= 3, `want 3 clusters, have ${clusters.length}`);
  await Promise.all(
    clusters.slice(0, 3).map((cluster) =>
      withNamespace(cluster, 'tb-deploy', async (ns) => {
        const dep = await ns.client.apply(deployment(ns.name, 'web', 'registry.example.com/web:1.0.0', 3));
        const live = await eventually(`${cluster.name} deployment ready`, async () => {
          const d = await ns.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'web' });
          return d && deploymentReadiness(d as never).state === 'Ready' ? d : undefined;
        });
        assert.equal(live.metadata.uid, dep.metadata.uid);
        const pods = (await podsOf(ns.client, live)) as Pod[];
        assert.equal(pods.length, 3);
        const kwokNodes = await nodeNames(ns.client, { type: 'kwok' });
        const gpuNodes = await nodeNames(ns.client, { 'nvidia.com/gpu.present': 'true' });
        for (const p of pods) {
          assert.ok(p.spec.nodeName && kwokNodes.has(p.spec.nodeName), `${p.metadata.name} on kwok node, got ${p.spec.nodeName}`);
          assert.ok(!gpuNodes.has(p.spec.nodeName), 'untolerated pods stay off tainted GPU nodes');
          assert.equal(cond(p, 'Ready'), 'True');
          assert.equal(p.status?.phase, 'Running');
        }
        // The binding came from kube-scheduler (we never set nodeName): it records a Scheduled event.
        // Events are written asynchronously, so wait for them rather than expecting them already.
        const fromScheduler = (e: KubeObject) => (e as { reportingComponent?: string }).reportingComponent === 'default-scheduler' || (e as { source?: { component?: string } }).source?.component === 'default-scheduler';
        const scheduled = await eventually(`${cluster.name} Scheduled events`, async () => {
          const events = await ns.client.list('v1', 'Event', { namespace: ns.name, fieldSelector: 'reason=Scheduled' });
          const mine = events.filter(fromScheduler);
          return mine.length >= 3 ? mine : undefined;
        });
        const bound = new Set(scheduled.map((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name));
        for (const p of pods) assert.ok(bound.has(p.metadata.name), `no Scheduled event for ${p.metadata.name}`);
      }),
    ),
  );
});

test('a GPU-requesting pod with the toleration lands only on GPU nodes', async () => {
  const [cluster] = (await getTestbed()).clusters;
  await withNamespace(cluster!, 'tb-gpu', async (ns) => {
    const gpuNodes = await nodeNames(ns.client, { 'nvidia.com/gpu.present': 'true' });
    assert.equal(gpuNodes.size, 2);
    const names = ['train-0', 'train-1', 'train-2', 'train-3'];
    for (const name of names) {
      await ns.client.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns.name },
        spec: {
          tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'trainer', image: 'registry.example.com/trainer:2.0.0', resources: { limits: { 'nvidia.com/gpu': '2' } } }],
        },
      });
    }
    for (const name of names) {
      const pod = await eventually(`${name} ready`, async () => {
        const p = (await ns.client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name })) as Pod | null;
        return p && cond(p, 'Ready') === 'True' ? p : undefined;
      });
      assert.ok(gpuNodes.has(pod.spec.nodeName!), `${name} landed on ${pod.spec.nodeName}, not a GPU node`);
    }
  });
});

test('server-side apply through the adapter: manager fleetplane, idempotent, dry-run, strict, force', async () => {
  const [cluster] = (await getTestbed()).clusters;
  const ns = await createNamespace(cluster!, 'tb-ssa');
  try {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns.name }, data: { mode: 'a' } };
    const first = await ns.client.apply(cm);
    const managers = (first.metadata.managedFields as Array<{ manager: string; operation: string }>).map((m) => `${m.manager}/${m.operation}`);
    assert.deepEqual(managers, ['fleetplane/Apply']);
    const second = await ns.client.apply(cm);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion, 'a repeated apply changes nothing');

    const dry = await ns.client.apply({ ...cm, data: { mode: 'b' } }, { dryRun: true });
    assert.deepEqual(dry.data, { mode: 'b' });
    const after = await ns.client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'settings' });
    assert.deepEqual(after?.data, { mode: 'a' }, 'dry run did not persist');
    await ns.client.apply({ ...cm, metadata: { name: 'ghost', namespace: ns.name } }, { dryRun: true });
    assert.equal(await ns.client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'ghost' }), null);

    await assert.rejects(ns.client.apply({ ...cm, spec: { nope: true } }), (err) => isInvalid(err) && err instanceof KubeApiError && /unknown field|not declared in schema/i.test(err.message));
    await assert.rejects(ns.client.apply({ ...cm, data: { mode: 'c' } }, { fieldManager: 'someone-else' }), (err) => isConflict(err));
    const forced = await ns.client.apply({ ...cm, data: { mode: 'c' } }, { fieldManager: 'someone-else', force: true });
    assert.deepEqual(forced.data, { mode: 'c' });
  } finally {
    await ns.delete();
  }
});

test('an image containing "never-ready" runs but never becomes Ready', async () => {
  const [cluster] = (await getTestbed()).clusters;
  await withNamespace(cluster!, 'tb-never', async (ns) => {
    await ns.client.apply(deployment(ns.name, 'bad', 'registry.example.com/app:1.2.3-never-ready', 1));
    const pod = await eventually('never-ready pod running', async () => {
      const [p] = (await ns.client.list('v1', 'Pod', { namespace: ns.name, labelSelector: { app: 'bad' } })) as Pod[];
      return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    assert.equal(cond(pod, 'Ready'), 'False');
    await sleep(3000); // give kwok every chance to (wrongly) flip it
    const again = (await ns.client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: pod.metadata.name })) as Pod;
    assert.equal(cond(again, 'Ready'), 'False');
    const dep = await ns.client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'bad' });
    assert.notEqual(deploymentReadiness(dep as never).state, 'Ready');
  });
});

test('a pod with a readiness probe delay runs first and becomes Ready only after initialDelaySeconds, like a kubelet', async () => {
  const [cluster] = (await getTestbed()).clusters;
  await withNamespace(cluster!, 'tb-probe', async (ns) => {
    const dep = deployment(ns.name, 'slow', 'registry.example.com/app:1.0.0', 1);
    const podSpec = (dep.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec;
    podSpec.containers[0]!.readinessProbe = { httpGet: { path: '/ready', port: 8080 }, initialDelaySeconds: 4 };
    await ns.client.apply(dep);
    const starting = await eventually('probe-delayed pod running', async () => {
      const [p] = (await ns.client.list('v1', 'Pod', { namespace: ns.name, labelSelector: { app: 'slow' } })) as Pod[];
      return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    // Observed before the probe delay passed: running with an IP, not Ready yet.
    assert.equal(cond(starting, 'Ready'), 'False');
    const ready = await eventually('probe-delayed pod ready', async () => {
      const p = (await ns.client.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: starting.metadata.name })) as Pod;
      return cond(p, 'Ready') === 'True' ? p : undefined;
    });
    assert.equal(ready.status?.podIP, starting.status?.podIP, 'the pod keeps its IP when it turns Ready');
    // From the pod's own timestamps (second precision): Ready no earlier than the probe delay.
    const status = ready.status as { startTime?: string; conditions?: Array<{ type: string; lastTransitionTime?: string }> };
    const readyAt = Date.parse(status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
    assert.ok(readyAt - Date.parse(status.startTime ?? '') >= 3000, JSON.stringify(status));
  });
});

test('readCapacity sums allocatable cpu, memory and GPUs of the kwok nodes', async () => {
  const [cluster] = (await getTestbed()).clusters;
  const cap = await readCapacity(cluster!.client());
  assert.equal(cap.nodes, 8);
  assert.equal(cap.gpus, 12);
  assert.ok(cap.cpuMillis > 60_000 && cap.memoryBytes > 300 * 2 ** 30, JSON.stringify(cap));
});

type NodeObj = KubeObject & { spec?: { taints?: Array<{ key: string; value?: string; effect: string }> }; status: { capacity: Record<string, string>; allocatable: Record<string, string> } };

test('each cluster has the node mix: 6 general and 2 tainted GPU nodes with topology labels', async () => {
  const { clusters } = await getTestbed();
  for (const cluster of clusters.slice(0, 3)) {
    const nodes = (await cluster.client().list('v1', 'Node', { labelSelector: { type: 'kwok' } })) as NodeObj[];
    const gpu = nodes.filter((n) => n.metadata.labels?.['nvidia.com/gpu.present'] === 'true');
    assert.equal(nodes.length, 8, cluster.name);
    assert.equal(gpu.length, 2, cluster.name);
    for (const n of nodes) {
      for (const l of ['topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'node.kubernetes.io/instance-type', 'fleetplane.io/provider']) {
        assert.ok(n.metadata.labels?.[l], `${n.metadata.name} lacks ${l}`);
      }
      assert.ok(Number(n.status.allocatable.pods) > 0);
    }
    for (const n of gpu) {
      const gpus = Number(n.status.capacity['nvidia.com/gpu']);
      assert.ok(gpus >= 4 && gpus <= 8, `${n.metadata.name} has ${gpus} GPUs`);
      assert.deepEqual(n.spec?.taints?.map((t) => `${t.key}=${t.value}:${t.effect}`), ['nvidia.com/gpu=present:NoSchedule']);
    }
    const zones = new Set(nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']));
    assert.equal(zones.size, 3, `${cluster.name} spans three zones`);
  }
});

/** Listening TCP sockets of a process, as "ip:port" (IPv4 from /proc/net/tcp, IPv6 from tcp6). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`));
    if (m) inodes.add(m[1]!);
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, port] = cols[1]!.split(':');
      if (cols[3] === '0A' && inodes.has(cols[9]!)) out.push(`${decodeAddr(addr!)}:${parseInt(port!, 16)}`);
    }
  }
  return out;
}

function safeReadlink(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

function decodeAddr(hex: string): string {
  if (hex.length === 8) return (hex.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)).join('.');
  return hex === '00000000000000000000000000000000' ? '::' : hex === '0000000000000000FFFF00000100007F' ? '::ffff:127.0.0.1' : hex === '00000000000000000000000001000000' ? '::1' : hex;
}

test('every testbed process listens on 127.0.0.1 only', async () => {
  await getTestbed();
  const procs = await testbedProcesses();
  assert.ok(procs.length >= 15, `expected 5 processes per cluster, found ${procs.length}`);
  const addresses = procs.flatMap((p) => listeningAddresses(p.pid).map((a) => `${p.cluster}/${p.name} ${a}`));
  assert.ok(addresses.length >= 12, addresses.join('\n'));
  const exposed = addresses.filter((a) => !/ (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1):\d+$/.test(a));
  assert.deepEqual(exposed, []);
});

/** What the engine's direct driver needs to deliver objects into a test namespace (no lease, no store). */
function driverContext(cluster: TestCluster, ns: string): DriverContext {
  const now = new Date().toISOString();
  return {
    environment: {
      tenant: 'tb', name: 'adapter', type: 'dev', blueprint: 'none', version: '0.0.0', values: {}, placement: { cluster: cluster.name, namespace: ns },
      delivery: 'direct', selfHeal: false, health: 'Progressing', conditions: [], resourceVersion: 1, createdAt: now, updatedAt: now,
    },
    cluster: { name: cluster.name, provider: 'local', region: 'local', labels: {}, role: 'shared', apiServer: cluster.apiServer, createdAt: now, updatedAt: now },
    kube: testClusterClient(cluster.name, cluster.client()),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now: () => new Date(),
    operation: { id: 'testbed-adapter', kind: 'onboard', workerId: 'testbed-test' },
  };
}

const revisionOf = (objects: KubeObject[]): Revision => ({
  id: 'testbed', tenant: 'tb', environment: 'adapter', blueprint: 'none', version: '0.0.0', objects: objects.map((object) => ({ object, hash: '' })), helmValues: [],
});

test('adapter against a real API server: CRD kinds, a delivery with a failing object, paged lists, deletes', async () => {
  const [cluster] = (await getTestbed()).clusters;
  await withNamespace(cluster!, 'tb-adapter', async (ns) => {
    const cms = Array.from({ length: 5 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: ns.name, labels: { set: 'a' } }, data: { i: String(i) } }));
    const monitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'web', namespace: ns.name },
      spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http' }] },
    };
    const broken = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'broken', namespace: ns.name }, data: { n: 1 } } as unknown as KubeObject;
    // Through the engine's own write path (the direct driver, in phases of the one kind order): the
    // ConfigMap phase is applied in full, the broken object fails it, and the ServiceMonitor phase
    // after it never starts.
    const ctx = driverContext(cluster!, ns.name);
    const driver = new DirectDriver({ concurrency: 3 });
    await assert.rejects(driver.deliver(ctx, revisionOf([monitor, ...cms, broken])), (e: unknown) => e instanceof KubeApiError && /broken/.test(e.message));
    const names = async (apiVersion: string, kind: string) => (await ns.client.list(apiVersion, kind, { namespace: ns.name })).map((o) => o.metadata.name).sort();
    assert.deepEqual((await names('v1', 'ConfigMap')).filter((n) => n.startsWith('cm-')), cms.map((c) => c.metadata.name));
    assert.deepEqual(await names('monitoring.coreos.com/v1', 'ServiceMonitor'), []);
    const done = await driver.deliver(ctx, revisionOf([monitor, ...cms]));
    assert.deepEqual(done.applied.map((r) => r.kind), [...cms.map(() => 'ConfigMap'), 'ServiceMonitor']);

    const paged = await ns.client.list('v1', 'ConfigMap', { namespace: ns.name, labelSelector: { set: 'a' }, pageSize: 2 });
    assert.deepEqual(paged.map((c) => c.metadata.name).sort(), cms.map((c) => c.metadata.name));
    const monitors = await ns.client.list('monitoring.coreos.com/v1', 'ServiceMonitor', { namespace: ns.name });
    assert.deepEqual(monitors.map((m) => m.metadata.name), ['web']);

    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'cm-0' };
    assert.equal(await ns.client.delete(ref, { propagationPolicy: 'Background' }), true);
    assert.equal(await ns.client.get(ref), null);
    assert.equal(await ns.client.delete(ref), false);
  });
});
