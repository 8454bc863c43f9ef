// Step (a): the testbed clusters, registered through the API, with capacity read from their nodes
// through the kube adapter (the same client the engine uses), and live object counts later on.
import { readFile } from 'node:fs/promises';
import { KubeClient } from '../src/adapters/kube/index.ts';
import type { ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import { LABELS, type KubeObject } from '../src/domain/types.ts';
import { testbedStatus } from '../testbed/index.ts';
import { block, LiveLine, note, secondsSince, sleep } from './ui.ts';

export interface DemoCluster { name: string; apiServer: string; kubeconfig: string; kube: KubeClient }

interface Node extends KubeObject {
  spec?: { providerID?: string };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: Array<{ type: string; status: string }> };
}

/** Running, healthy testbed clusters (scripts/demo.sh runs `npm run testbed -- up` first). */
export async function runningClusters(): Promise<DemoCluster[]> {
  const all = await testbedStatus().catch(() => []);
  return all.filter((c) => c.healthy && c.nodes > 0)
    .map((c) => ({ name: c.name, apiServer: c.apiServer, kubeconfig: c.kubeconfig, kube: KubeClient.fromKubeconfig({ path: c.kubeconfig }) }));
}

function cpuMillis(q = '0'): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

function gib(q = '0'): number {
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)?$/.exec(q);
  return m ? (Number(m[1]) * (units[m[2] ?? ''] ?? 1)) / 2 ** 30 : 0;
}

interface Capacity { nodes: number; gpuNodes: number; cpu: number; memGi: number; gpus: number; provider: string; region: string }

export async function capacityOf(c: DemoCluster): Promise<Capacity> {
  const nodes = await c.kube.list<Node>('v1', 'Node');
  const alloc = nodes.map((n) => n.status?.allocatable ?? {});
  const first = nodes[0];
  return {
    nodes: nodes.length,
    gpuNodes: alloc.filter((a) => Number(a['nvidia.com/gpu'] ?? 0) > 0).length,
    cpu: alloc.reduce((s, a) => s + cpuMillis(a.cpu), 0) / 1000,
    memGi: alloc.reduce((s, a) => s + gib(a.memory), 0),
    gpus: alloc.reduce((s, a) => s + Number(a['nvidia.com/gpu'] ?? 0), 0),
    // The testbed labels its nodes with their site's provider; real nodes carry it in providerID.
    provider: first?.metadata.labels?.['fleetplane.io/provider'] || first?.spec?.providerID?.split(':')[0] || 'local',
    region: first?.metadata.labels?.['topology.kubernetes.io/region'] ?? 'local',
  };
}

const PROVIDERS = new Set(['aws', 'gcp', 'azure', 'onprem', 'local']);

/** Registers each cluster; `dedicated` makes one cluster the dedicated-tier tenant's own. */
export async function registerClusters(client: ApiClient, clusters: DemoCluster[], dedicated: { cluster: string; tenant: string }): Promise<void> {
  const rows = [];
  for (const c of clusters) {
    const cap = await capacityOf(c);
    const role = c.name === dedicated.cluster ? `dedicated:${dedicated.tenant}` : 'shared';
    const provider = PROVIDERS.has(cap.provider) ? cap.provider : 'local';
    const credentials = await readFile(c.kubeconfig, 'utf8');
    const { body } = await client.request<{ name: string; role: string; region: string }>('POST', '/v1/clusters', {
      body: { name: c.name, provider, region: cap.region, apiServer: c.apiServer, role, credentials, labels: { testbed: 'true' } },
    });
    rows.push({ ...cap, name: body.name, role: body.role, region: body.region, provider });
  }
  note('POST /v1/clusters for each (the kubeconfig is stored encrypted and never returned)');
  note('capacity below is read from each cluster\'s Node objects (allocatable) via the kube adapter:');
  block(table(rows, [
    ['CLUSTER', (r) => r.name], ['PROVIDER', (r) => r.provider], ['REGION', (r) => r.region], ['ROLE', (r) => r.role],
    ['NODES', (r) => `${r.nodes} (${r.gpuNodes} GPU)`], ['CPU', (r) => r.cpu.toFixed(0)], ['MEMORY', (r) => `${r.memGi.toFixed(0)}Gi`], ['GPUS', (r) => r.gpus],
  ]));
}

interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: Array<{ image: string; resources?: { limits?: Record<string, string> } }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Waits (live line) until no namespace of these tenants is left; deletion finishes asynchronously. */
export async function waitNamespacesGone(clusters: DemoCluster[], tenants: string[], seconds: number): Promise<number> {
  const selector = `${LABELS.tenant} in (${tenants.join(',')})`;
  const line = new LiveLine();
  const t0 = Date.now();
  for (;;) {
    const left = (await Promise.all(clusters.map((c) => c.kube.list('v1', 'Namespace', { labelSelector: selector })))).flat();
    const names = left.slice(0, 6).map((n) => n.metadata.name).join(' ');
    line.update(`namespaces of the demo tenants still on the clusters: ${left.length} ${names}${left.length > 6 ? ' …' : ''}  ${secondsSince(t0)}`);
    if (left.length === 0 || Date.now() - t0 > seconds * 1000) {
      line.done();
      return left.length;
    }
    await sleep(1000);
  }
}

/** What Fleetplane put on each cluster, counted from the clusters themselves. */
export async function liveObjects(clusters: DemoCluster[], tenants: string[], example = true): Promise<number> {
  const selector = `${LABELS.tenant} in (${tenants.join(',')})`;
  const rows = await Promise.all(clusters.map(async (c) => {
    const [ns, deploys, pods] = await Promise.all([
      c.kube.list('v1', 'Namespace', { labelSelector: selector }),
      c.kube.list('apps/v1', 'Deployment', { labelSelector: selector }),
      c.kube.list<Pod>('v1', 'Pod', { labelSelector: selector }),
    ]);
    const ours = pods;
    const gpu = ours.filter((p) => p.spec?.containers?.some((k) => k.resources?.limits?.['nvidia.com/gpu']));
    return { c, ns: ns.length, deploys: deploys.length, pods: ours.length, ready: ours.filter(ready).length, gpu };
  }));
  block(table(rows, [
    ['CLUSTER', (r) => r.c.name], ['NAMESPACES', (r) => r.ns], ['DEPLOYMENTS', (r) => r.deploys],
    ['PODS READY', (r) => `${r.ready}/${r.pods}`], ['GPU PODS', (r) => r.gpu.length],
  ]));
  const sample = rows.flatMap((r) => r.gpu.map((p) => ({ cluster: r.c.name, p }))).find((x) => ready(x.p));
  if (sample && example) note(`e.g. GPU model server ${sample.p.metadata.namespace}/${sample.p.metadata.name} on node ${sample.p.spec?.nodeName} (${sample.cluster}), image ${sample.p.spec?.containers?.[0]?.image}`);
  return rows.reduce((n, r) => n + r.ns, 0);
}
