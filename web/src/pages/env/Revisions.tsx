// Stored revisions: the rendered objects of one, a diff between two, and a one-click rollback to an
// earlier one (POST …:rollback {revision}: a durable rollback Operation the engine runs; in GitOps
// mode it is a revert commit in the tenant's repo). Every rollback asks first.
import { useState } from 'react';
import { Accordion, Alert, Button, Code, Group, Select, Table, Text } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, enc, post } from '../../api';
import { ConfirmButton } from '../../components/Confirm';
import { QueryState } from '../../components/Problem';
import { Status } from '../../components/Status';
import { ago } from '../../format';
import type { Environment, ManifestDiff, Operation, RevisionDetail, RevisionItem } from '../../types';
import { DiffList } from './DiffList';

function Objects({ e, id }: { e: Environment; id: string }) {
  const q = useQuery({ queryKey: ['revision', e.tenant, e.name, id], queryFn: () => api<RevisionDetail>(`/v1/environments/${enc(e.tenant)}/${enc(e.name)}/revisions/${enc(id)}`) });
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what={`revision ${id}`} />;
  return (
    <section aria-label={`Objects of revision ${id}`} data-testid="objects">
      <Text size="sm">{q.data.objects.length} objects rendered from {q.data.blueprint}@{q.data.version}</Text>
      <Accordion>
        {q.data.objects.map(({ object: o, hash }) => (
          <Accordion.Item key={`${o.kind}/${o.metadata.name}`} value={`${o.kind}/${o.metadata.name}`}>
            <Accordion.Control>{o.kind}/{o.metadata.name} <Text span size="xs" ff="monospace">{hash.slice(0, 12)}</Text></Accordion.Control>
            <Accordion.Panel><Code block>{JSON.stringify(o, null, 2)}</Code></Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </section>
  );
}

export function Revisions({ e }: { e: Environment }) {
  const client = useQueryClient();
  const q = useQuery({ queryKey: ['revisions', e.tenant, e.name], queryFn: () => api<{ items: RevisionItem[] }>(`/v1/environments/${enc(e.tenant)}/${enc(e.name)}/revisions`) });
  const [shown, setShown] = useState<string | null>(null);
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string | null>(null);
  const [diff, setDiff] = useState<ManifestDiff | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);
  const [started, setStarted] = useState<Operation | null>(null);
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what="revisions" />;
  const items = q.data.items;
  const options = items.map((r) => ({ value: r.id, label: `${r.id} (${r.version}${r.applied ? ', applied' : ''})` }));
  const showDiff = async (a: string, b: string) => {
    setDiffError(null);
    try {
      setDiff(await api<ManifestDiff>(`/v1/environments/${enc(e.tenant)}/${enc(e.name)}/diff?from=${enc(a)}&to=${enc(b)}`));
    } catch (err) {
      setDiffError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <>
      {started && <Alert color="blue" mb="sm" role="status" data-testid="rollback-started">Rollback started: operation {started.id} ({started.state}). Its progress shows under History.</Alert>}
      <Table data-testid="revisions">
        <Table.Thead><Table.Tr><Table.Th>Revision</Table.Th><Table.Th>Release</Table.Th><Table.Th>Created</Table.Th><Table.Th>Marks</Table.Th><Table.Th>Actions</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {items.map((r) => (
            <Table.Tr key={r.id} data-revision={r.id}>
              <Table.Td ff="monospace">{r.id}</Table.Td>
              <Table.Td>{r.version}</Table.Td>
              <Table.Td>{ago(r.createdAt)}</Table.Td>
              <Table.Td><Group gap={4}>{r.applied && <Status value="Ready" label="applied" />}{r.desired && !r.applied && <Status value="Progressing" label="desired" />}{r.lastGood && <Status value="succeeded" label="last good" />}</Group></Table.Td>
              <Table.Td>
                <Group gap="xs">
                  <Button size="xs" variant="default" onClick={() => setShown(shown === r.id ? null : r.id)} aria-expanded={shown === r.id}>Objects</Button>
                  {e.appliedRevision && !r.applied && <Button size="xs" variant="default" onClick={() => void showDiff(e.appliedRevision!, r.id)}>Diff with applied</Button>}
                  {!r.applied && (
                    <ConfirmButton label="Roll back to this" title={`Roll back ${e.tenant}/${e.name}?`} confirmLabel="Roll back" color="red"
                      onConfirm={() => post<Operation>(`/v1/tenants/${enc(e.tenant)}/environments/${enc(e.name)}:rollback`, { revision: r.id })}
                      onDone={(op) => { setStarted(op as Operation); void client.invalidateQueries({ queryKey: ['history', e.tenant, e.name] }); }}>
                      Fleetplane re-applies revision <Code>{r.id}</Code> ({r.version}) to this environment and verifies it. The revision applied now is <Code>{e.appliedRevision ?? 'none'}</Code>.
                    </ConfirmButton>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {shown && <Objects e={e} id={shown} />}
      <Group mt="md" align="end">
        <Select label="Compare from" data={options} value={from} onChange={setFrom} w={280} />
        <Select label="to" data={options} value={to} onChange={setTo} w={280} />
        <Button variant="default" disabled={!from || !to} onClick={() => void showDiff(from!, to!)}>Show diff</Button>
      </Group>
      {diffError && <Alert color="red" mt="sm" role="alert">{diffError}</Alert>}
      {diff && <DiffList d={diff} title={`Changes from ${diff.from} to ${diff.to}`} />}
    </>
  );
}
