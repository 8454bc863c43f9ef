// VPA end to end on a testbed cluster and a real Prometheus: the recommendation route reads cAdvisor-
// shaped usage history from Prometheus and answers the known right size; the apply route refuses a VPA on
// the resource an HPA already scales the workload on (409 naming /controlledResources, nothing written),
// validates with a strict server-side dry run, and creates the VerticalPodAutoscaler in Off mode with the
// recommendation in its status on the real apiserver (the VPA CRD v1.8.1 the testbed installs). Tenant
// isolation: another tenant can neither read the recommendation nor aim a VPA at this tenant's workload.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { harness, publishSample, tenantBody, type Harness } from '../helpers/api-harness.ts';
import { startPrometheusWith, type RunningPrometheus } from '../helpers/prometheus.ts';
import { createNamespace, getTestbed, type TestCluster, type TestNamespace } from '../helpers/testbed.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { forecastCommand } from '../../src/cli/commands/forecast.ts';
import { CPU_HISTOGRAM, MEMORY_HISTOGRAM, bucketStart, findBucket } from '../../src/forecast/vpa.ts';

const DAY = 86_400;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const END = NOW / 1000;
const CPU_CORES = 0.5;
const MEMORY = 400 * 1024 * 1024;

/** A counter rising at CPU_CORES per second (so rate() is CPU_CORES) and a constant working set, 9 days at 1 minute. */
function usageSeries(namespace: string): Parameters<typeof startPrometheusWith>[0] {
  const labels = { namespace, pod: 'web-5d8f7c9b4-x2k4q', container: 'app' };
  const cpu: Array<{ ts: number; value: number }> = [];
  const mem: Array<{ ts: number; value: number }> = [];
  for (let ts = END - 9 * DAY; ts <= END; ts += 60) {
    cpu.push({ ts, value: (ts - (END - 9 * DAY)) * CPU_CORES });
    mem.push({ ts, value: MEMORY });
  }
  return [
    { metric: 'container_cpu_usage_seconds_total', labels, samples: cpu },
    { metric: 'container_memory_working_set_bytes', labels, samples: mem },
    // Another pod of the same name prefix in another namespace must not count.
    { metric: 'container_memory_working_set_bytes', labels: { ...labels, namespace: 'elsewhere' }, samples: mem.map((s) => ({ ...s, value: 50 * MEMORY })) },
  ];
}

/** The end of the histogram bucket holding v (what a VPA percentile returns), times the 15% margin. */
const expected = (o: typeof CPU_HISTOGRAM, v: number): number => bucketStart(o, findBucket(o, v) + 1) * 1.15;

const deployment = (ns: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] } } },
});
const hpaOnCpu = (ns: string): KubeObject => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: ns },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
});

describe('VPA recommendations and objects (testbed + Prometheus)', () => {
  let cluster: TestCluster;
  let ns: TestNamespace;
  let prom: RunningPrometheus;
  let h: Harness;
  let env: string;
  let other: string;
  let viewer: string;

  before(async () => {
    cluster = (await getTestbed({ clusters: 1 })).clusters[0]!;
    // The environment's namespace is vpa-<hex>: tenant "vpa", environment "<hex>" (defaultNamespace joins them).
    ns = await createNamespace(cluster, 'vpa');
    env = ns.name.slice('vpa-'.length);
    prom = await startPrometheusWith(usageSeries(ns.name));
    h = await harness('embedded', undefined, { prometheusUrl: prom.url, now: () => new Date(NOW) });
    await h.store.clusters.upsert({ provider: 'local', region: 'local', role: 'shared', labels: {}, name: cluster.name, apiServer: cluster.apiServer, credentials: await readFile(cluster.kubeconfig, 'utf8') });
    await publishSample(h);
    const body = tenantBody('vpa', [env]) as { environments: Array<Record<string, unknown>> };
    body.environments[0]!.cluster = cluster.name;
    const created = await h.req('POST', '/v1/tenants', { body });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const otherBody = tenantBody('other', ['prod']) as { environments: Array<Record<string, unknown>> };
    otherBody.environments[0]!.cluster = cluster.name;
    assert.equal((await h.req('POST', '/v1/tenants', { body: otherBody })).status, 202);
    other = (await h.req('POST', '/v1/tokens', { body: { name: 'o', role: 'tenant-admin', tenant: 'other' } })).body.secret;
    viewer = (await h.req('POST', '/v1/tokens', { body: { name: 'v', role: 'tenant-viewer', tenant: 'vpa' } })).body.secret;
    assert.equal((await h.store.environments.get('vpa', env))!.placement.namespace, ns.name);
    await ns.client.apply(deployment(ns.name));
  });

  after(async () => {
    await h?.close();
    await prom?.stop();
    await ns?.delete();
  });

  const vpas = async (): Promise<KubeObject[]> => ns.client.list('autoscaling.k8s.io/v1', 'VerticalPodAutoscaler', { namespace: ns.name });

  it('recommends the known right size from the usage history in Prometheus', async () => {
    const r = await h.req('GET', `/v1/environments/vpa/${env}/scaling/vpa/recommendation?name=web`, { token: viewer });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.namespace, ns.name);
    assert.deepEqual(r.body.containers.map((c: { container: string }) => c.container), ['app']);
    const rec = r.body.containers[0].recommendation;
    assert.ok(Math.abs(rec.target.cpuCores - expected(CPU_HISTOGRAM, CPU_CORES)) < 1e-9, `cpu target ${rec.target.cpuCores}`);
    assert.ok(rec.target.cpuCores >= CPU_CORES * 1.15 && rec.target.cpuCores <= CPU_CORES * 1.15 * 1.05);
    // Memory: the other namespace's 50× larger series is not read.
    assert.ok(Math.abs(rec.target.memoryBytes - expected(MEMORY_HISTOGRAM, MEMORY)) < 1, `memory target ${rec.target.memoryBytes}`);
    assert.ok(rec.confidence > 7.9 && rec.confidence <= 8, `confidence ${rec.confidence}`);
  });

  it('refuses a VPA on cpu while an HPA scales the workload on cpu, naming the field; writes nothing', async () => {
    await ns.client.apply(hpaOnCpu(ns.name));
    const r = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { body: { workload: { name: 'web' }, mode: 'Off', controlledResources: ['cpu', 'memory'] } });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(String(r.headers['content-type']), /problem\+json/);
    assert.equal(r.body.errors[0].field, '/controlledResources');
    assert.match(r.body.errors[0].message, /HorizontalPodAutoscaler web .* on cpu/);
    assert.equal((await vpas()).length, 0);
  });

  it('a strict server-side dry run validates the object and writes nothing', async () => {
    const r = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { body: { workload: { kind: 'Deployment', name: 'web' }, mode: 'Initial', controlledResources: ['memory'], dryRun: true } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.object.spec.updatePolicy.updateMode, 'Initial');
    assert.equal((await vpas()).length, 0);
  });

  it('creates the VPA in Off mode on memory only, with the recommendation in its status', async () => {
    const r = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { body: { workload: { name: 'web' }, mode: 'Off', controlledResources: ['memory'] } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const [vpa] = await vpas() as Array<KubeObject & { spec: { updatePolicy: { updateMode: string }; resourcePolicy: { containerPolicies: Array<{ controlledResources: string[] }> } }; status: { recommendation: { containerRecommendations: Array<{ containerName: string; target: Record<string, string> }> } } }>;
    assert.ok(vpa, 'a VPA exists on the cluster');
    assert.equal(vpa.spec.updatePolicy.updateMode, 'Off');
    assert.deepEqual(vpa.spec.resourcePolicy.containerPolicies[0]!.controlledResources, ['memory']);
    assert.equal(vpa.metadata.labels?.['fleetplane.io/tenant'], 'vpa');
    const [c] = vpa.status.recommendation.containerRecommendations;
    assert.equal(c!.containerName, 'app');
    assert.equal(c!.target.memory, String(Math.ceil(expected(MEMORY_HISTOGRAM, MEMORY))));
    assert.equal(c!.target.cpu, undefined, 'cpu is the HPA\'s');
  });

  it('bad input is a 400 naming the field; nothing written', async () => {
    const before = (await vpas()).map((v) => v.metadata.resourceVersion);
    const bad = [
      [{ workload: { kind: 'DaemonSet', name: 'web' }, mode: 'Off' }, '/workload/kind'],
      [{ workload: { name: 'web', namespace: 'kube-system' }, mode: 'Off' }, '/workload'],
      [{ workload: { name: 'web' }, mode: 'Auto' }, '/mode'],
      [{ workload: { name: 'web' }, mode: 'Off', controlledResources: ['gpu'] }, '/controlledResources'],
    ] as const;
    for (const [body, field] of bad) {
      const r = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { body });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.ok(JSON.stringify(r.body.errors).includes(field), `${field}: ${JSON.stringify(r.body)}`);
    }
    const missing = await h.req('GET', `/v1/environments/vpa/${env}/scaling/vpa/recommendation?name=nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual((await vpas()).map((v) => v.metadata.resourceVersion), before);
  });

  it("another tenant can neither read this tenant's recommendation nor aim a VPA at its workload", async () => {
    const before = (await vpas()).map((v) => v.metadata.resourceVersion);
    const read = await h.req('GET', `/v1/environments/vpa/${env}/scaling/vpa/recommendation?name=web`, { token: other });
    assert.equal(read.status, 404);
    const write = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { token: other, body: { workload: { name: 'web' }, mode: 'Off', controlledResources: ['memory'] } });
    assert.equal(write.status, 404);
    // Through its own environment the same workload name resolves in its own namespace only, where there is none.
    const own = await h.req('PUT', '/v1/environments/other/prod/scaling/vpa', { token: other, body: { workload: { name: 'web' }, mode: 'Off', controlledResources: ['memory'] } });
    assert.equal(own.status, 404, JSON.stringify(own.body));
    const viewerWrite = await h.req('PUT', `/v1/environments/vpa/${env}/scaling/vpa`, { token: viewer, body: { workload: { name: 'web' }, mode: 'Off', controlledResources: ['memory'] } });
    assert.equal(viewerWrite.status, 403);
    assert.deepEqual((await vpas()).map((v) => v.metadata.resourceVersion), before);
  });

  it('the CLI shows the recommendation and writes the VPA through the API; bad flags are one-line errors', async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const run = async (...args: string[]): Promise<string> => {
      const chunks: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      Object.assign(process.env, { FLEETPLANE_SERVER: address, FLEETPLANE_TOKEN: h.adminToken });
      // The test runner's own (binary) messages to its parent go through; the CLI writes strings.
      process.stdout.write = ((c: string | Uint8Array, ...rest: unknown[]) => {
        if (typeof c !== 'string') return (write as (...a: unknown[]) => boolean)(c, ...rest);
        chunks.push(c);
        return true;
      }) as typeof process.stdout.write;
      try {
        await forecastCommand().parseAsync(args, { from: 'user' });
      } finally {
        process.stdout.write = write;
      }
      return chunks.join('');
    };
    const json = JSON.parse(await run('vpa', `vpa/${env}`, 'web', '-o', 'json'));
    assert.ok(Math.abs(json.containers[0].recommendation.target.cpuCores - expected(CPU_HISTOGRAM, CPU_CORES)) < 1e-9);
    const table = await run('vpa', `vpa/${env}`, 'web');
    assert.match(table, new RegExp(`app\\s+${Math.ceil(expected(CPU_HISTOGRAM, CPU_CORES) * 1000)}m`));
    const applied = JSON.parse(await run('vpa-apply', `vpa/${env}`, 'web', '--mode', 'Off', '--resources', 'memory', '-o', 'json'));
    assert.equal(applied.object.spec.updatePolicy.updateMode, 'Off');
    await assert.rejects(run('vpa-apply', `vpa/${env}`, 'web', '--mode', 'Auto'), /--mode: "Auto"/);
    await assert.rejects(run('vpa-apply', `vpa/${env}`, 'web', '--mode', 'Off'), /409|HorizontalPodAutoscaler web/);
    await assert.rejects(run('vpa', `vpa/${env}`, 'web', '--days', '30'), /--days/);
  });
});
