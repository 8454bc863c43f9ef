// Errors as the user should see them: another tenant's resource (404) and an admin-only page (403)
// both show the same not-found page, worded like a missing one, as the API answers.
import { Alert, Anchor, Container, Loader, Title, Text } from '@mantine/core';
import { Link } from 'react-router';
import { ApiError } from '../api';

export function NotFound({ what }: { what?: string }) {
  return (
    <Container size="sm" py="xl" data-testid="not-found">
      <Title order={1}>Not found</Title>
      <Text mt="sm">{what ? `${what} was not found.` : 'There is nothing at this address.'}</Text>
      <Anchor component={Link} to="/" mt="md" display="block">Back to the overview</Anchor>
    </Container>
  );
}

export function QueryState({ error, pending, what }: { error: unknown; pending: boolean; what: string }) {
  if (pending) return <Loader aria-label={`Loading ${what}`} size="sm" />;
  if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return <NotFound what={what} />;
  if (error) return <Alert color="red" role="alert" title={`Could not load ${what}`}>{error instanceof Error ? error.message : String(error)}</Alert>;
  return null;
}
