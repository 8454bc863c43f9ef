// Tenants (admin: all, paged; a tenant token is taken straight to its own tenant).
import { Anchor, Button, Stack, Table, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, Navigate } from 'react-router';
import { api, type Page } from '../api';
import { QueryState } from '../components/Problem';
import { useSession } from '../session';
import type { Tenant } from '../types';

export function Tenants() {
  const s = useSession();
  const q = useInfiniteQuery({
    queryKey: ['tenants'],
    queryFn: ({ pageParam }) => api<Page<Tenant>>(`/v1/tenants?limit=50${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next, enabled: s.scope?.kind === 'fleet',
  });
  if (s.scope?.kind === 'tenant') return <Navigate to={`/tenants/${s.scope.tenant}`} replace />;
  return (
    <Stack>
      <Title order={1}>Tenants</Title>
      <QueryState error={q.error} pending={q.isPending} what="tenants" />
      <Table data-testid="tenants">
        <Table.Thead><Table.Tr><Table.Th>Tenant</Table.Th><Table.Th>Name</Table.Th><Table.Th>Tier</Table.Th><Table.Th>Channel</Table.Th><Table.Th>Region</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {(q.data?.pages.flatMap((p) => p.items) ?? []).map((t) => (
            <Table.Tr key={t.slug}>
              <Table.Td><Anchor component={Link} to={`/tenants/${t.slug}`}>{t.slug}</Anchor></Table.Td>
              <Table.Td>{t.name}</Table.Td><Table.Td>{t.tier}</Table.Td><Table.Td>{t.channel}</Table.Td><Table.Td>{t.region ?? '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {q.hasNextPage && <Button variant="default" onClick={() => void q.fetchNextPage()}>Show more</Button>}
    </Stack>
  );
}
