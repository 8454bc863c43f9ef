import { Alert, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, enc } from '../../api';
import { QueryState } from '../../components/Problem';
import { pct } from '../../format';
import type { Slo } from '../../types';

export function SloPanel({ tenant, env }: { tenant: string; env: string }) {
  const q = useQuery({ queryKey: ['slo', tenant, env], queryFn: () => api<Slo>(`/v1/environments/${enc(tenant)}/${enc(env)}/slo`) });
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what="SLO status" />;
  const s = q.data;
  return (
    <section aria-label="SLO status" data-testid="slo">
      <Text size="sm">Objectives: availability {pct(s.objectives.availability)}, latency {pct(s.objectives.latency)} of requests under {s.objectives.latencyThresholdSeconds * 1000} ms.</Text>
      {s.prometheus !== 'ok' && <Alert mt="xs" color="gray">{s.prometheus === 'not-configured' ? 'No Prometheus configured (FLEETPLANE_PROMETHEUS_URL): objectives only.' : 'Prometheus did not answer.'}</Alert>}
      {s.firing.length > 0 && <Alert mt="xs" color="red" title="Burn-rate alerts firing">{s.firing.map((f) => `${f.alert} (${f.severity})`).join(', ')}</Alert>}
      {s.ratios.length > 0 && (
        <Table mt="xs">
          <Table.Thead><Table.Tr><Table.Th>Window</Table.Th><Table.Th>Errors</Table.Th><Table.Th>Slow</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>{s.ratios.map((r) => <Table.Tr key={r.window}><Table.Td>{r.window}</Table.Td><Table.Td>{pct(r.errorRatio, 3)}</Table.Td><Table.Td>{pct(r.slowRatio, 3)}</Table.Td></Table.Tr>)}</Table.Tbody>
        </Table>
      )}
      {s.budgetRemaining && <Text size="sm" mt="xs">Error budget left ({s.budgetRemaining.window}): availability {pct(s.budgetRemaining.availability, 1)}, latency {pct(s.budgetRemaining.latency, 1)}.</Text>}
    </section>
  );
}
