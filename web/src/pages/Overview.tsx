// Fleet overview: counts by health, release and cluster (computed in SQL by GET /v1/fleet/summary),
// what needs attention in words (paged), halted rollouts with why, clusters and recent activity.
// Live: the change stream re-reads these queries when anything changes.
import { Anchor, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, type Page } from '../api';
import { Status } from '../components/Status';
import { QueryState } from '../components/Problem';
import { useLive } from '../components/live';
import { ClusterTable } from './Clusters';
import { ActivityTable } from './Activity';
import { ago } from '../format';
import { isAdmin, useSession } from '../session';
import type { AttentionItem, FleetCluster, FleetSummary, Operation } from '../types';

const HEALTH = ['Ready', 'Published', 'Progressing', 'Degraded', 'Drifted', 'Failed'] as const;

function HealthCards({ s }: { s: FleetSummary }) {
  const value = (h: string) => (h === 'Drifted' ? s.drifted : s.byHealth[h] ?? 0);
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: 6 }} role="list" aria-label="Environments by health">
      <Paper withBorder p="sm" role="listitem" data-testid="count-total" aria-label={`Environments: ${s.environments}`}>
        <Text size="sm">Environments</Text>
        <div className="stat-value">{s.environments}</div>
        <Text size="xs">{s.tenants} tenant{s.tenants === 1 ? '' : 's'}</Text>
      </Paper>
      {HEALTH.map((h) => (
        <Paper key={h} withBorder p="sm" role="listitem" data-testid={`count-${h}`} aria-label={`${h}: ${value(h)}`}>
          <Status value={h} />
          <div className="stat-value">{value(h)}</div>
        </Paper>
      ))}
    </SimpleGrid>
  );
}

function Attention() {
  const q = useInfiniteQuery({
    queryKey: ['attention'],
    queryFn: ({ pageParam }) => api<Page<AttentionItem>>(`/v1/fleet/attention?limit=20${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (p) => p.next,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="attention-h">
      <Title order={2} size="h3" id="attention-h">Needs attention</Title>
      <QueryState error={q.error} pending={q.isPending} what="the attention list" />
      {q.data && items.length === 0 && <Text mt="xs">Nothing: every environment is Ready or on its way.</Text>}
      {items.length > 0 && (
        <Table mt="xs" striped data-testid="attention">
          <Table.Thead><Table.Tr><Table.Th>Environment</Table.Th><Table.Th>Health</Table.Th><Table.Th>Why</Table.Th><Table.Th>Since</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {items.map((a) => (
              <Table.Tr key={`${a.tenant}/${a.environment}`}>
                <Table.Td><Anchor component={Link} to={`/tenants/${a.tenant}/${a.environment}`}>{a.tenant}/{a.environment}</Anchor></Table.Td>
                <Table.Td><Group gap={4}><Status value={a.health} />{a.drifted && a.health !== 'Drifted' && <Status value="Drifted" />}</Group></Table.Td>
                <Table.Td><Text size="sm">{a.reason}</Text></Table.Td>
                <Table.Td>{ago(a.since)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.hasNextPage && <Button variant="default" mt="xs" onClick={() => void q.fetchNextPage()} loading={q.isFetchingNextPage}>Show more</Button>}
    </section>
  );
}

function Halted({ s }: { s: FleetSummary }) {
  if (!s.haltedRollouts || s.haltedRollouts.length === 0) return null;
  return (
    <section aria-labelledby="halted-h">
      <Title order={2} size="h3" id="halted-h">Halted rollouts</Title>
      <Stack gap="xs" mt="xs">
        {s.haltedRollouts.map((r) => (
          <Paper key={r.id} withBorder p="sm">
            <Group gap="xs"><Status value={r.state} /><Anchor component={Link} to={`/rollouts/${r.id}`}>{r.blueprint}@{r.version}</Anchor><Text size="sm">{ago(r.updatedAt)}</Text></Group>
            <Text size="sm" mt={4}>{r.whyHalted?.summary ?? r.reason}</Text>
          </Paper>
        ))}
      </Stack>
    </section>
  );
}

function Breakdown({ s }: { s: FleetSummary }) {
  const cells = (r: { environments: number; drifted: number; byHealth: Record<string, number> }) => (
    <>
      <Table.Td>{r.environments}</Table.Td>
      {HEALTH.map((h) => <Table.Td key={h}>{h === 'Drifted' ? r.drifted : r.byHealth[h] ?? 0}</Table.Td>)}
    </>
  );
  const head = <Table.Tr><Table.Th>{' '}</Table.Th><Table.Th>Total</Table.Th>{HEALTH.map((h) => <Table.Th key={h}>{h}</Table.Th>)}</Table.Tr>;
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <section aria-labelledby="release-h">
        <Title order={2} size="h3" id="release-h">By release</Title>
        <Table mt="xs" data-testid="by-release"><Table.Thead>{head}</Table.Thead>
          <Table.Tbody>{s.byRelease.map((r) => <Table.Tr key={`${r.blueprint}@${r.version}`}><Table.Th scope="row">{r.blueprint}@{r.version}</Table.Th>{cells(r)}</Table.Tr>)}</Table.Tbody>
        </Table>
      </section>
      <section aria-labelledby="cluster-h">
        <Title order={2} size="h3" id="cluster-h">By cluster</Title>
        <Table mt="xs" data-testid="by-cluster"><Table.Thead>{head}</Table.Thead>
          <Table.Tbody>{s.byCluster.map((r) => <Table.Tr key={r.cluster}><Table.Th scope="row">{r.cluster || '(not placed yet)'}</Table.Th>{cells(r)}</Table.Tr>)}</Table.Tbody>
        </Table>
      </section>
    </SimpleGrid>
  );
}

const LIVE_WORDS: Record<string, string> = { live: 'Live', retrying: 'Reconnecting…', connecting: 'Connecting…' };

function workLine(s: FleetSummary): string {
  const ops = `Operations: ${s.operations.running} running, ${s.operations.pending} queued, ${s.operations.failedLastDay} failed in the last day`;
  const ro = s.rollouts ? `; rollouts: ${s.rollouts.running ?? 0} running, ${s.rollouts.paused ?? 0} paused` : '';
  return `${ops}${ro}.`;
}

export function Overview() {
  const session = useSession();
  const admin = isAdmin(session);
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => api<FleetSummary>('/v1/fleet/summary') });
  const clusters = useQuery({ queryKey: ['clusters', 'probe'], queryFn: () => api<Page<FleetCluster>>('/v1/fleet/clusters?probe=true&limit=50'), enabled: admin });
  const activity = useQuery({ queryKey: ['activity', 'recent'], queryFn: () => api<Page<Operation>>('/v1/operations?limit=8') });
  const live = useLive({}, [['summary'], ['attention'], ['activity']]);
  const s = summary.data;
  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>{session.scope?.kind === 'tenant' ? `Tenant ${session.scope.tenant}` : 'Fleet overview'}</Title>
        <Text size="sm" aria-live="polite" data-testid="live-status">{LIVE_WORDS[live] ?? 'Connecting…'}</Text>
      </Group>
      <QueryState error={summary.error} pending={summary.isPending} what="the fleet summary" />
      {s && <HealthCards s={s} />}
      {s && <Text size="sm">{workLine(s)}</Text>}
      <Attention />
      {s && <Halted s={s} />}
      {s && <Breakdown s={s} />}
      {admin && (
        <section aria-labelledby="clusters-h">
          <Title order={2} size="h3" id="clusters-h">Clusters</Title>
          <QueryState error={clusters.error} pending={clusters.isPending} what="clusters" />
          {clusters.data && <ClusterTable items={clusters.data.items} />}
        </section>
      )}
      <section aria-labelledby="activity-h">
        <Group justify="space-between"><Title order={2} size="h3" id="activity-h">Recent activity</Title><Anchor component={Link} to="/activity">All activity</Anchor></Group>
        <QueryState error={activity.error} pending={activity.isPending} what="recent activity" />
        {activity.data && <ActivityTable items={activity.data.items} />}
      </section>
    </Stack>
  );
}
