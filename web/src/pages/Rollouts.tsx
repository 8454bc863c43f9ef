// Rollouts (admin), newest first, paged by the API.
import { Anchor, Button, Stack, Table, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Page } from '../api';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { useLive } from '../components/live';
import { ago } from '../format';
import type { RolloutListItem } from '../types';

export function Rollouts() {
  const q = useInfiniteQuery({
    queryKey: ['rollouts'],
    queryFn: ({ pageParam }) => api<Page<RolloutListItem>>(`/v1/rollouts?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next,
  });
  useLive({ topics: 'rollout' }, [['rollouts']]);
  if (q.error) return <QueryState error={q.error} pending={false} what="rollouts" />;
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Stack>
      <Title order={1}>Rollouts</Title>
      <QueryState error={null} pending={q.isPending} what="rollouts" />
      <Table data-testid="rollouts">
        <Table.Thead><Table.Tr><Table.Th>Release</Table.Th><Table.Th>State</Table.Th><Table.Th>Progress</Table.Th><Table.Th>Started</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {items.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td><Anchor component={Link} to={`/rollouts/${r.id}`}>{r.blueprint}@{r.version}</Anchor></Table.Td>
              <Table.Td><Status value={r.state} /></Table.Td>
              <Table.Td>{r.totals.succeeded ?? 0} of {r.totals.total} done{r.totals.failed ? `, ${r.totals.failed} failed` : ''}</Table.Td>
              <Table.Td>{ago(r.createdAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {q.hasNextPage && <Button variant="default" onClick={() => void q.fetchNextPage()}>Show more</Button>}
    </Stack>
  );
}
