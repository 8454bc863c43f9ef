// Clusters (admin): capacity allocatable vs reserved by Fleetplane quotas (CPU, memory), GPUs,
// reachability and Kubernetes version read live, provider and region, environments on each.
import { Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, type Page } from '../api';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { cores, gib } from '../format';
import type { FleetCluster } from '../types';

function Used({ used, total, unit, fmt }: { used: number | null; total: number; unit: string; fmt: (n: number) => string }) {
  if (!total) return <>—</>;
  const share = used === null ? null : Math.min(1, used / total);
  const text = `${used === null ? '?' : fmt(used)} / ${fmt(total)} ${unit}`;
  return (
    <div>
      <Text size="xs">{text} reserved</Text>
      <div className="bar" role="meter" aria-label={`${unit} reserved`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={share === null ? 0 : Math.round(share * 100)} aria-valuetext={text}>
        <div style={{ width: `${(share ?? 0) * 100}%` }} />
      </div>
    </div>
  );
}

function Reach({ c }: { c: FleetCluster }) {
  if (c.reachable === null) return <Status value="Unknown" label="not probed" />;
  return c.reachable ? <Status value="Ready" label="reachable" /> : <Status value="Failed" label="unreachable" />;
}

function Unhealthy({ c }: { c: FleetCluster }) {
  const n = (c.byHealth.Degraded ?? 0) + (c.byHealth.Failed ?? 0);
  return n > 0 ? <Text size="xs">{n} unhealthy</Text> : null;
}

function ClusterRow({ c }: { c: FleetCluster }) {
  const k = c.capacity;
  return (
    <Table.Tr>
      <Table.Th scope="row">{c.name}<Text size="xs">{c.role}</Text></Table.Th>
      <Table.Td><Reach c={c} />{c.error && <Text size="xs">{c.error}</Text>}</Table.Td>
      <Table.Td>{c.kubernetesVersion ?? '—'}</Table.Td>
      <Table.Td>{c.provider} / {c.region}</Table.Td>
      <Table.Td>{k ? <Used used={k.reservedCpuMillis} total={k.cpuMillis} unit="cores" fmt={cores} /> : '—'}</Table.Td>
      <Table.Td>{k ? <Used used={k.reservedMemoryBytes} total={k.memoryBytes} unit="GiB" fmt={gib} /> : '—'}</Table.Td>
      <Table.Td>{k ? <>{k.gpus}<Text size="xs">{k.nodes} nodes</Text></> : '—'}</Table.Td>
      <Table.Td>{c.environments}<Unhealthy c={c} /></Table.Td>
    </Table.Tr>
  );
}

export function ClusterTable({ items }: { items: FleetCluster[] }) {
  return (
    <Table mt="xs" data-testid="clusters">
      <Table.Thead><Table.Tr><Table.Th>Cluster</Table.Th><Table.Th>Health</Table.Th><Table.Th>Kubernetes</Table.Th><Table.Th>Provider / region</Table.Th><Table.Th>CPU</Table.Th><Table.Th>Memory</Table.Th><Table.Th>GPUs</Table.Th><Table.Th>Environments</Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {items.map((c) => <ClusterRow key={c.name} c={c} />)}
      </Table.Tbody>
    </Table>
  );
}

export function Clusters() {
  const q = useQuery({ queryKey: ['clusters', 'probe'], queryFn: () => api<Page<FleetCluster>>('/v1/fleet/clusters?probe=true&limit=200') });
  return (
    <Stack>
      <Title order={1}>Clusters</Title>
      <QueryState error={q.error} pending={q.isPending} what="clusters" />
      {q.data && <ClusterTable items={q.data.items} />}
    </Stack>
  );
}
