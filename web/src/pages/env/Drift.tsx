// The applied revision against what runs in the cluster now (GET …/diff?to=live), with the reconcile
// loop's last check.
import { Alert, Button, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, enc } from '../../api';
import { QueryState } from '../../components/Problem';
import { ago } from '../../format';
import type { Environment, ManifestDiff } from '../../types';
import { DiffList } from './DiffList';

export function Drift({ e }: { e: Environment }) {
  const q = useQuery({
    queryKey: ['drift', e.tenant, e.name, e.appliedRevision],
    queryFn: () => api<ManifestDiff>(`/v1/environments/${enc(e.tenant)}/${enc(e.name)}/diff?to=live`),
    enabled: !!e.appliedRevision, staleTime: 0,
  });
  if (!e.appliedRevision) return <Text>Nothing applied yet.</Text>;
  if (!q.data) return <QueryState error={q.error} pending={q.isPending} what="the live comparison" />;
  return (
    <>
      <Text size="sm">Last drift check by the engine: {ago(q.data.lastDriftCheck?.checkedAt)}.</Text>
      {q.data.changes.length === 0 && <Alert color="green" mt="xs">The cluster matches revision {q.data.from}.</Alert>}
      {q.data.changes.length > 0 && <DiffList d={q.data} title={`Revision ${q.data.from} against the live cluster`} />}
      <Button variant="default" mt="sm" onClick={() => void q.refetch()} loading={q.isFetching}>Compare again</Button>
    </>
  );
}
