// Every destructive action asks first: a modal naming what will happen, with the focus trapped in it
// (Mantine Modal) and Cancel focused, so Enter alone never confirms.
import { useState, type ReactNode } from 'react';
import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { ApiError } from '../api';

export interface ConfirmProps {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  color?: string;
  disabled?: boolean;
  onConfirm: () => Promise<unknown>;
  onDone?: (result: unknown) => void;
}

export function ConfirmButton(p: ConfirmProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await p.onConfirm();
      setOpen(false);
      p.onDone?.(r);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.status}: ${err.detail}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="outline" color={p.color ?? 'indigo'} onClick={() => setOpen(true)} disabled={p.disabled}>{p.label}</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={p.title} centered>
        <Text size="sm" component="div">{p.children}</Text>
        {error && <Alert color="red" mt="sm" role="alert" title="Refused">{error}</Alert>}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={() => setOpen(false)} data-autofocus>Cancel</Button>
          <Button color={p.color ?? 'indigo'} loading={busy} onClick={() => void run()}>{p.confirmLabel}</Button>
        </Group>
      </Modal>
    </>
  );
}
