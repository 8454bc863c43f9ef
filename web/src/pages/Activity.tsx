// Activity: operations, newest first (GET /v1/operations, paged server-side), live.
import { Anchor, Button, Stack, Table, Title } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Page } from '../api';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { useLive } from '../components/live';
import { ago, duration } from '../format';
import type { Operation } from '../types';

function step(o: Operation): string {
  const s = o.steps.find((x) => x.state === 'running' || x.state === 'waiting' || x.state === 'failed');
  return s ? `${s.name}${s.error ? `: ${s.error}` : ''}` : '';
}

export function ActivityTable({ items }: { items: Operation[] }) {
  return (
    <Table mt="xs" data-testid="activity">
      <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>What</Table.Th><Table.Th>Environment</Table.Th><Table.Th>State</Table.Th><Table.Th>Step</Table.Th><Table.Th>Took</Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {items.map((o) => (
          <Table.Tr key={o.id}>
            <Table.Td>{ago(o.createdAt)}</Table.Td>
            <Table.Td>{o.kind}</Table.Td>
            <Table.Td>{o.environment ? <Anchor component={Link} to={`/tenants/${o.tenant}/${o.environment}`}>{o.tenant}/{o.environment}</Anchor> : o.tenant}</Table.Td>
            <Table.Td><Status value={o.state} /></Table.Td>
            <Table.Td>{step(o)}</Table.Td>
            <Table.Td>{duration(o.createdAt, o.finishedAt)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function Activity() {
  const q = useInfiniteQuery({
    queryKey: ['activity', 'all'],
    queryFn: ({ pageParam }) => api<Page<Operation>>(`/v1/operations?limit=50${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next,
  });
  useLive({ topics: 'operation' }, [['activity']]);
  return (
    <Stack>
      <Title order={1}>Activity</Title>
      <QueryState error={q.error} pending={q.isPending} what="activity" />
      {q.data && <ActivityTable items={q.data.pages.flatMap((p) => p.items)} />}
      {q.hasNextPage && <Button variant="default" onClick={() => void q.fetchNextPage()}>Show more</Button>}
    </Stack>
  );
}
