// fleetplane clusters list|get|create|delete
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { collect, ctx, enc, keyValues, readDoc } from '../context.ts';
import { age, type Column } from '../output.ts';
import { io } from '../io.ts';
import { CLUSTER_CAPABILITIES, isCapability } from '../../domain/capabilities.ts';

interface ClusterView {
  name: string; provider: string; region: string; role: string; apiServer: string; kubernetesVersion?: string; createdAt: string;
  capabilities?: string[];
  capacity?: { nodes: number; cpuMillis: number; memoryBytes?: number; gpus?: number; reservedCpuMillis?: number; reservedMemoryBytes?: number };
}

/** "205 (12% reserved)": an allocatable amount and the share Fleetplane quotas reserve, as last observed. */
function withReserved(total: number, reserved: number | undefined, scale: (n: number) => number): string {
  if (reserved === undefined || total <= 0) return String(scale(total));
  return `${scale(total)} (${Math.round((100 * reserved) / total)}% reserved)`;
}

/** Allocatable cores (and the reserved share). */
export function cpu(cap: ClusterView['capacity']): string | undefined {
  return cap ? withReserved(cap.cpuMillis, cap.reservedCpuMillis, (m) => Math.round(m / 1000)) : undefined;
}

/** Allocatable memory in GiB (and the reserved share). */
export function memory(cap: ClusterView['capacity']): string | undefined {
  return cap?.memoryBytes === undefined ? undefined : withReserved(cap.memoryBytes, cap.reservedMemoryBytes, (b) => Math.round(b / 2 ** 30));
}

const COLUMNS: Array<Column<ClusterView>> = [
  ['NAME', (c) => c.name], ['PROVIDER', (c) => c.provider], ['REGION', (c) => c.region], ['ROLE', (c) => c.role],
  ['API SERVER', (c) => c.apiServer], ['VERSION', (c) => c.kubernetesVersion], ['NODES', (c) => c.capacity?.nodes],
  ['CPU', (c) => cpu(c.capacity)], ['MEMORY GIB', (c) => memory(c.capacity)], ['GPUS', (c) => c.capacity?.gpus],
  ['CAPABILITIES', (c) => (c.capabilities === undefined ? '(discovered)' : c.capabilities.join(',') || '(none)')], ['AGE', (c) => age(c.createdAt)],
];

/** `--capabilities kserve,keda` (or `none`) as the API's list; an unknown name is a usage error. */
export function capabilityList(arg: string): string[] {
  const items = arg.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (items.length === 1 && items[0] === 'none') return [];
  const unknown = items.filter((c) => !isCapability(c));
  if (unknown.length > 0 || items.length === 0) throw new CliError(`--capabilities: ${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'empty'} (one or more of ${CLUSTER_CAPABILITIES.join(', ')}, or none)`, 2);
  return [...new Set(items)];
}

export default function register(program: Command): void {
  const clusters = program.command('clusters').alias('cluster').description('registered Kubernetes clusters (admin)');

  clusters.command('list').description('list clusters').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: ClusterView[] }>('/v1/clusters');
    c.print(body, body.items, COLUMNS);
  });

  clusters.command('get <name>').description('show a cluster').action(async (name: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<ClusterView>(`/v1/clusters/${enc(name)}`);
    c.print(body, [body], COLUMNS);
  });

  clusters.command('create').description('register (or update) a cluster')
    .option('-f, --file <file>', 'cluster document (YAML or JSON)')
    .option('--name <name>').option('--provider <p>', 'aws | gcp | azure | onprem | local').option('--region <region>')
    .option('--api-server <url>').option('--role <role>', 'shared | dedicated:<tenant>').option('--kubeconfig <file>', 'credentials, stored encrypted')
    .option('--label <k=v>', 'label (repeatable)', collect)
    .option('--capabilities <list>', `comma-separated, of ${CLUSTER_CAPABILITIES.join(', ')}; "none" for core Kubernetes only (default: the cluster's API discovery)`)
    .action(async (o: Record<string, string | string[] | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      let body: Record<string, unknown>;
      if (o.file) body = await readDoc(String(o.file));
      else {
        const missing = ['name', 'provider', 'region', 'apiServer'].filter((k) => !o[k]);
        if (missing.length > 0) throw new CliError(`missing ${missing.map((m) => `--${m === 'apiServer' ? 'api-server' : m}`).join(', ')} (or give -f cluster.yaml)`, 2);
        body = { name: o.name, provider: o.provider, region: o.region, apiServer: o.apiServer, ...(o.role ? { role: o.role } : {}) };
        if (o.label) body.labels = keyValues(o.label as string[], '--label');
      }
      if (o.capabilities !== undefined) body.capabilities = capabilityList(String(o.capabilities));
      if (o.kubeconfig) body.credentials = await readFile(String(o.kubeconfig), 'utf8').catch(() => { throw new CliError(`cannot read ${String(o.kubeconfig)}`, 2); });
      const { body: cluster } = await c.client.request<ClusterView>('POST', '/v1/clusters', { body });
      c.print(cluster, [cluster], COLUMNS);
    });

  clusters.command('delete <name>').description('deregister a cluster (refused while environments run on it)').action(async (name: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    await c.client.request('DELETE', `/v1/clusters/${enc(name)}`);
    io().out(`cluster/${name} deleted\n`);
  });
}
