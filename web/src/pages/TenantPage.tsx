// A tenant: its environments with release, revision, cluster, health and conditions (paged by the API).
// Another tenant's slug answers 404 from the API, and the page says "not found" like for a missing one.
import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, enc, type Page } from '../api';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { useLive } from '../components/live';
import { ago } from '../format';
import type { Environment, Tenant } from '../types';

export function conditionSummary(e: Environment): string {
  // A self-managed environment is Published, not Ready: its customer installs the bundle.
  const published = e.conditions.some((c) => c.type === 'Published' && c.status === 'True');
  const bad = e.conditions.filter((c) => (c.type === 'Ready' ? c.status === 'False' && !published : c.status === 'True') && c.type !== 'Progressing' && c.type !== 'Published');
  return bad.map((c) => `${c.type}: ${c.message || c.reason}`).join('; ');
}

export function TenantPage() {
  const { tenant = '' } = useParams();
  const t = useQuery({ queryKey: ['tenant', tenant], queryFn: () => api<Tenant>(`/v1/tenants/${enc(tenant)}`) });
  const envs = useInfiniteQuery({
    queryKey: ['environments', tenant],
    queryFn: ({ pageParam }) => api<Page<Environment>>(`/v1/tenants/${enc(tenant)}/environments?limit=100${pageParam ? `&cursor=${enc(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next, enabled: t.isSuccess,
  });
  useLive({ tenant, topics: 'environment' }, [['environments', tenant]]);
  if (!t.data) return <QueryState error={t.error} pending={t.isPending} what={`tenant "${tenant}"`} />;
  return (
    <Stack>
      <Title order={1}>{t.data.name} <Text span size="lg">({t.data.slug})</Text></Title>
      <Group gap="lg"><Text size="sm">tier {t.data.tier}</Text><Text size="sm">channel {t.data.channel}</Text>{t.data.region && <Text size="sm">region {t.data.region}</Text>}</Group>
      <section aria-labelledby="envs-h">
        <Title order={2} size="h3" id="envs-h">Environments</Title>
        <QueryState error={envs.error} pending={envs.isPending} what="environments" />
        <Table mt="xs" data-testid="environments">
          <Table.Thead><Table.Tr><Table.Th>Environment</Table.Th><Table.Th>Health</Table.Th><Table.Th>Release</Table.Th><Table.Th>Revision</Table.Th><Table.Th>Cluster</Table.Th><Table.Th>Conditions</Table.Th><Table.Th>Updated</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {(envs.data?.pages.flatMap((p) => p.items) ?? []).map((e) => (
              <Table.Tr key={e.name}>
                <Table.Td><Anchor component={Link} to={`/tenants/${tenant}/${e.name}`}>{e.name}</Anchor> <Text span size="xs">{e.type}, {e.delivery}</Text></Table.Td>
                <Table.Td><Status value={e.health} /></Table.Td>
                <Table.Td>{e.blueprint}@{e.version}</Table.Td>
                <Table.Td><Text size="xs" ff="monospace">{e.appliedRevision ?? '—'}</Text></Table.Td>
                <Table.Td>{e.placement.cluster || '(placing)'}</Table.Td>
                <Table.Td><Text size="xs">{conditionSummary(e) || 'all good'}</Text></Table.Td>
                <Table.Td>{ago(e.updatedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {envs.hasNextPage && <Button variant="default" mt="xs" onClick={() => void envs.fetchNextPage()}>Show more</Button>}
      </section>
    </Stack>
  );
}
