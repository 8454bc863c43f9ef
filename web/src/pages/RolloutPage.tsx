// One rollout as a tenant x wave matrix (GET /v1/rollouts/{id}/matrix, tenants paged), updated in
// place from the change stream (?rollout=<id>): a target's new state lands in its cell without a
// reload. "Why halted" shows the gate's PromQL, the value read and the threshold. Pause, resume and
// abort ask first and go through the API with the user's token.
import { Fragment } from 'react';
import { Alert, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, post } from '../api';
import { ConfirmButton } from '../components/Confirm';
import { QueryState } from '../components/Problem';
import { Status } from '../components/Status';
import { useLive } from '../components/live';
import { ago } from '../format';
import type { ChangeEvent } from '../events';
import type { Matrix } from '../types';

type Data = InfiniteData<Matrix, string>;

/** A rollout-target event, applied to the cached pages; false when the target is not on a loaded page. */
function applyTarget(data: Data | undefined, e: ChangeEvent): Data | undefined {
  if (!data) return data;
  const d = e.data as { tenant: string; environment: string; state: string; reason: string | null; operationId: string | null };
  let hit = false;
  const pages = data.pages.map((p) => ({
    ...p,
    rows: p.rows.map((r) => r.tenant !== d.tenant ? r : {
      ...r, targets: r.targets.map((t) => {
        if (t.environment !== d.environment) return t;
        hit = true;
        return { ...t, state: d.state, reason: d.reason, operationId: d.operationId };
      }),
    }),
  }));
  return hit ? { ...data, pages } : data;
}

function WhyHalted({ m }: { m: Matrix }) {
  const w = m.whyHalted;
  if (!w) return null;
  return (
    <Alert color="yellow" title="Why it halted" data-testid="why-halted">
      <Text size="sm">{w.summary}</Text>
      {w.metric && (
        <Table mt="xs" withRowBorders={false}>
          <Table.Tbody>
            <Table.Tr><Table.Th scope="row">Gate query (PromQL)</Table.Th><Table.Td><Code block>{w.metric.query}</Code></Table.Td></Table.Tr>
            <Table.Tr><Table.Th scope="row">Value read</Table.Th><Table.Td data-testid="gate-value">{w.metric.value ?? 'no data'} {w.metric.at ? `(${ago(w.metric.at)})` : ''}</Table.Td></Table.Tr>
            <Table.Tr><Table.Th scope="row">Threshold</Table.Th><Table.Td data-testid="gate-threshold">{w.metric.op} {w.metric.threshold}</Table.Td></Table.Tr>
          </Table.Tbody>
        </Table>
      )}
    </Alert>
  );
}

function MatrixTable({ pages }: { pages: Matrix[] }) {
  const head = pages[0]!;
  const rows = pages.flatMap((p) => p.rows);
  return (
    <Table className="matrix" withTableBorder withColumnBorders data-testid="matrix">
      <caption>Tenants (rows, grouped by their first wave) by wave (columns); each cell shows that tenant's environments in the wave and their state.</caption>
      <Table.Thead>
        <Table.Tr><Table.Th scope="col">Tenant</Table.Th>
          {head.waves.map((w) => <Table.Th scope="col" key={w.index}>{w.name} <Status value={w.gate} /><Text size="xs">{w.counts.succeeded ?? 0}/{w.total} done</Text></Table.Th>)}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r, i) => (
          <Fragment key={r.tenant}>
            {(i === 0 || rows[i - 1]!.firstWave !== r.firstWave) && (
              <Table.Tr className="wave-group"><Table.Th colSpan={head.waves.length + 1} scope="rowgroup">Starting in wave {head.waves[r.firstWave]?.name ?? r.firstWave}</Table.Th></Table.Tr>
            )}
            <Table.Tr>
              <Table.Th scope="row">{r.tenant}</Table.Th>
              {head.waves.map((w) => (
                <Table.Td key={w.index}>
                  {r.targets.filter((t) => t.wave === w.index).map((t) => (
                    <span className="cell-env" key={t.environment} data-target={`${r.tenant}/${t.environment}`} data-state={t.state} title={t.reason ?? undefined}>
                      {t.environment} <Status value={t.state} />
                    </span>
                  ))}
                </Table.Td>
              ))}
            </Table.Tr>
          </Fragment>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function RolloutPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const key = ['rollout', id];
  const q = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam }) => api<Matrix>(`/v1/rollouts/${encodeURIComponent(id)}/matrix?limit=100${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '', getNextPageParam: (p) => p.next,
  });
  const live = useLive({ rollout: id, topics: 'rollout,rollout-target' }, [key], (e) => {
    if (e.topic !== 'rollout-target') return false;
    let hit = false;
    client.setQueryData<Data>(key, (d) => {
      const next = applyTarget(d, e);
      hit = next !== d;
      return next;
    });
    return hit; // a cell of a loaded page changed in place; anything else re-reads
  });
  if (q.isPending || q.error) return <QueryState error={q.error} pending={q.isPending} what={`rollout "${id}"`} />;
  const m = q.data.pages[0]!;
  const r = m.rollout;
  const act = (verb: string) => () => post(`/v1/rollouts/${encodeURIComponent(id)}:${verb}`);
  const done = () => void client.invalidateQueries({ queryKey: key });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Rollout {r.blueprint}@{r.version}</Title>
        <Text size="sm" aria-live="polite" data-testid="live-status">{live === 'live' ? 'Live' : 'Reconnecting…'}</Text>
      </Group>
      <Group gap="sm">
        <Status value={r.state} />
        <Text size="sm">wave {m.waves[r.currentWave]?.name ?? r.currentWave} of {m.waves.length}; started {ago(r.createdAt)}{r.reason ? `; ${r.reason}` : ''}</Text>
      </Group>
      <Group gap="sm" role="group" aria-label="Rollout actions">
        <ConfirmButton label="Pause" title="Pause this rollout?" confirmLabel="Pause rollout" disabled={r.state !== 'running' && r.state !== 'pending'} onConfirm={act('pause')} onDone={done}>
          Upgrades already running finish; no new ones start until you resume.
        </ConfirmButton>
        <ConfirmButton label="Resume" title="Resume this rollout?" confirmLabel="Resume rollout" disabled={r.state !== 'paused'} onConfirm={act('resume')} onDone={done}>
          Failures in the current wave are acknowledged and the rollout goes on with the next environments.
        </ConfirmButton>
        <ConfirmButton label="Abort" title="Abort this rollout?" confirmLabel="Abort rollout" color="red" disabled={['succeeded', 'failed', 'aborted', 'rolling-back', 'rolled-back'].includes(r.state)} onConfirm={act('abort')} onDone={done}>
          Pending environments and queued upgrades are cancelled. This cannot be undone.
        </ConfirmButton>
      </Group>
      <WhyHalted m={m} />
      <MatrixTable pages={q.data.pages} />
      {q.hasNextPage && <Button variant="default" onClick={() => void q.fetchNextPage()}>Show more tenants</Button>}
    </Stack>
  );
}
