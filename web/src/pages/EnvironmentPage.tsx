// One environment: status and conditions, history (operations with steps and timings), revisions
// (rendered objects, diffs, one-click rollback), drift against the live cluster, SLO status and the
// forecast vs actual load with the pre-scaler's decisions. Live over the change stream.
import { Group, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, enc } from '../api';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { useLive } from '../components/live';
import { ago } from '../format';
import type { Environment } from '../types';
import { History } from './env/History';
import { Revisions } from './env/Revisions';
import { Drift } from './env/Drift';
import { SloPanel } from './env/SloPanel';
import { Scaling } from './env/Scaling';

export function EnvironmentPage() {
  const { tenant = '', env = '' } = useParams();
  const key = ['environment', tenant, env];
  const q = useQuery({ queryKey: key, queryFn: () => api<Environment>(`/v1/environments/${enc(tenant)}/${enc(env)}`) });
  useLive({ tenant, environment: env, topics: 'environment,operation' }, [key, ['history', tenant, env], ['revisions', tenant, env]]);
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what={`environment "${tenant}/${env}"`} />;
  const e = q.data;
  return (
    <Stack>
      <Title order={1}>{tenant}/{env}</Title>
      <Group gap="md">
        <Status value={e.health} />
        {e.conditions.some((c) => c.type === 'Drifted' && c.status === 'True') && <Status value="Drifted" />}
        <Text size="sm">{e.blueprint}@{e.version}</Text>
        <Text size="sm">{e.delivery} on {e.placement.cluster || '(placing)'} / {e.placement.namespace}</Text>
      </Group>
      <Table withTableBorder data-testid="revisions-summary">
        <Table.Tbody>
          <Table.Tr><Table.Th scope="row">Applied revision</Table.Th><Table.Td ff="monospace">{e.appliedRevision ?? '—'}</Table.Td>
            <Table.Th scope="row">Desired</Table.Th><Table.Td ff="monospace">{e.desiredRevision ?? '—'}</Table.Td>
            <Table.Th scope="row">Last good</Table.Th><Table.Td ff="monospace">{e.lastGoodRevision ?? '—'}</Table.Td></Table.Tr>
        </Table.Tbody>
      </Table>
      <section aria-labelledby="cond-h">
        <Title order={2} size="h3" id="cond-h">Conditions</Title>
        <Table mt="xs" data-testid="conditions">
          <Table.Thead><Table.Tr><Table.Th>Type</Table.Th><Table.Th>Status</Table.Th><Table.Th>Reason</Table.Th><Table.Th>Message</Table.Th><Table.Th>Since</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {e.conditions.map((c) => (
              <Table.Tr key={c.type}><Table.Td>{c.type}</Table.Td><Table.Td>{c.status}</Table.Td><Table.Td>{c.reason}</Table.Td><Table.Td><Text size="sm">{c.message}</Text></Table.Td><Table.Td>{ago(c.lastTransitionTime)}</Table.Td></Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </section>
      <Tabs defaultValue="history" keepMounted={false}>
        <Tabs.List aria-label="Environment details">
          <Tabs.Tab value="history">History</Tabs.Tab>
          <Tabs.Tab value="revisions">Revisions and rollback</Tabs.Tab>
          <Tabs.Tab value="drift">Drift</Tabs.Tab>
          <Tabs.Tab value="slo">SLO</Tabs.Tab>
          <Tabs.Tab value="scaling">Forecast and scaling</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="history" pt="md"><History tenant={tenant} env={env} /></Tabs.Panel>
        <Tabs.Panel value="revisions" pt="md"><Revisions e={e} /></Tabs.Panel>
        <Tabs.Panel value="drift" pt="md"><Drift e={e} /></Tabs.Panel>
        <Tabs.Panel value="slo" pt="md"><SloPanel tenant={tenant} env={env} /></Tabs.Panel>
        <Tabs.Panel value="scaling" pt="md"><Scaling tenant={tenant} env={env} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
