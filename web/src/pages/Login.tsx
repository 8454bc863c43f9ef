// Sign in with an API token (admin or tenant). Checked against the API before it is kept; kept in
// sessionStorage only, never in a URL (the form posts nowhere).
import { useState } from 'react';
import { Alert, Button, Container, Paper, PasswordInput, Text, Title } from '@mantine/core';
import { setToken, signOut } from '../token';

export function Login() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const res = await fetch('/v1/fleet/summary', { headers: { authorization: `Bearer ${value.trim()}` } }).catch(() => null);
    setBusy(false);
    if (res?.ok) {
      setToken(value.trim());
      return;
    }
    signOut();
    setError(res ? (res.status === 401 ? 'That token is not valid (or was revoked).' : `The API answered ${res.status}.`) : 'The API is not reachable.');
  };
  return (
    <main id="main">
      <Container size={460} py={80}>
        <Title order={1}>Fleetplane console</Title>
        <Text mt="xs">Sign in with an API token. A tenant token shows only its tenant.</Text>
        <Paper withBorder p="lg" mt="lg" component="form" onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <PasswordInput label="API token" name="token" autoComplete="off" required value={value} onChange={(e) => setValue(e.currentTarget.value)} />
          {error && <Alert color="red" mt="sm" role="alert">{error}</Alert>}
          <Button type="submit" mt="md" fullWidth loading={busy}>Sign in</Button>
        </Paper>
      </Container>
    </main>
  );
}
