// Forecast vs actual load with the pre-scaler's decisions (GET …/scaling/decisions, newest first).
import { Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, enc, type Page } from '../../api';
import { ForecastPlot } from '../../components/ForecastPlot';
import { QueryState } from '../../components/Problem';
import type { ScalingDecision } from '../../types';

export function Scaling({ tenant, env }: { tenant: string; env: string }) {
  const q = useQuery({ queryKey: ['decisions', tenant, env], queryFn: () => api<Page<ScalingDecision>>(`/v1/environments/${enc(tenant)}/${enc(env)}/scaling/decisions?limit=200`) });
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what="scaling decisions" />;
  const items = q.data.items;
  if (items.length === 0) return <Text>No pre-scaler decisions for this environment (predictive scaling is off, or has not run yet).</Text>;
  return (
    <section aria-label="Forecast and scaling" data-testid="scaling">
      <ForecastPlot decisions={items} label={`Forecast vs actual load and minReplicas for ${tenant}/${env}, ${items.length} decisions`} />
      <Table mt="sm">
        <caption>The pre-scaler's decisions, newest first</caption>
        <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Action</Table.Th><Table.Th>Actual</Table.Th><Table.Th>Forecast (upper)</Table.Th><Table.Th>minReplicas</Table.Th><Table.Th>Reason</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {items.slice(0, 50).map((d, i) => (
            <Table.Tr key={d.id ?? i}>
              <Table.Td>{new Date(d.at).toLocaleString()}</Table.Td><Table.Td>{d.action}{d.applied ? ' (applied)' : d.mode === 'dry-run' ? ' (dry run)' : ''}</Table.Td>
              <Table.Td>{d.forecast?.lastValue.toFixed(1) ?? '—'}</Table.Td><Table.Td>{d.forecast ? `${d.forecast.windowPoint.toFixed(1)} (${d.forecast.upper.toFixed(1)})` : '—'}</Table.Td>
              <Table.Td>{d.previousMinReplicas ?? '—'} → {d.minReplicas}</Table.Td><Table.Td><Text size="xs">{d.reason}</Text></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </section>
  );
}
