import { Stack, Text, Title } from '@mantine/core';
import { DiffView } from '../../components/DiffView';
import { Status } from '../../components/Status';
import type { ManifestDiff } from '../../types';

export function DiffList({ d, title }: { d: ManifestDiff; title: string }) {
  return (
    <section aria-label={title} data-testid="diff">
      <Title order={3} size="h4">{title}</Title>
      <Text size="sm" data-testid="diff-summary">{d.changes.length} object{d.changes.length === 1 ? '' : 's'} differ, {d.unchanged} unchanged.</Text>
      <Stack gap="sm" mt="xs">
        {d.changes.map((c) => (
          <div key={`${c.ref.kind}/${c.ref.namespace ?? ''}/${c.ref.name}`}>
            <Text size="sm" fw={600}>{c.ref.kind}/{c.ref.name} <Status value={c.change === 'added' ? 'Ready' : c.change === 'removed' ? 'Failed' : 'Degraded'} label={c.change} />
              {c.driftFields && c.driftFields.length > 0 && <Text span size="sm"> drift in {c.driftFields.join(', ')}</Text>}</Text>
            <DiffView patch={c.patch} label={`diff of ${c.ref.kind} ${c.ref.name}`} />
          </div>
        ))}
      </Stack>
    </section>
  );
}
