// Operations of one environment, newest first, each with its steps, attempts and timings.
import { Accordion, Button, Group, Table, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, enc, type Page } from '../../api';
import { QueryState } from '../../components/Problem';
import { Status } from '../../components/Status';
import { ago, duration } from '../../format';
import type { Operation } from '../../types';

export function History({ tenant, env }: { tenant: string; env: string }) {
  const q = useInfiniteQuery({
    queryKey: ['history', tenant, env],
    queryFn: ({ pageParam }) => api<Page<Operation>>(`/v1/operations?tenant=${enc(tenant)}&environment=${enc(env)}&limit=20${pageParam ? `&cursor=${enc(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next,
  });
  const ops = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <QueryState error={q.error} pending={q.isPending} what="history" />
      <Accordion multiple data-testid="history">
        {ops.map((o) => (
          <Accordion.Item key={o.id} value={o.id}>
            <Accordion.Control>
              <Group gap="sm"><Status value={o.state} /><Text fw={600}>{o.kind}</Text><Text size="sm">{ago(o.createdAt)}, took {duration(o.createdAt, o.finishedAt)}</Text>
                {o.error && <Text size="sm">{o.error}</Text>}</Group>
            </Accordion.Control>
            <Accordion.Panel>
              <Table>
                <Table.Thead><Table.Tr><Table.Th>Step</Table.Th><Table.Th>State</Table.Th><Table.Th>Attempts</Table.Th><Table.Th>Started</Table.Th><Table.Th>Took</Table.Th><Table.Th>Detail</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {o.steps.map((s) => (
                    <Table.Tr key={s.name}>
                      <Table.Td>{s.name}</Table.Td><Table.Td><Status value={s.state} /></Table.Td><Table.Td>{s.attempts}</Table.Td>
                      <Table.Td>{s.startedAt ? new Date(s.startedAt).toLocaleTimeString() : '—'}</Table.Td>
                      <Table.Td>{s.startedAt ? duration(s.startedAt, s.finishedAt) : '—'}</Table.Td>
                      <Table.Td><Text size="xs">{s.error ?? s.message ?? ''}</Text></Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
      {q.hasNextPage && <Button variant="default" mt="xs" onClick={() => void q.fetchNextPage()}>Show older</Button>}
    </>
  );
}
