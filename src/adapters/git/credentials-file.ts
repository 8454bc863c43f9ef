// Argo CD's read-only per-tenant repo credentials from a JSON file {tenant: {username, password}}
// (FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE), read on each call so tenants appear without a restart.
import { readFile } from 'node:fs/promises';

export type RepoCredentials = (tenant: string) => Promise<{ username: string; password: string } | null>;

/** Per-tenant credentials from a JSON file, read on each call (tenants appear without a restart). */
export function credentialsFromFile(file: string): RepoCredentials {
  return async (tenant) => {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, { username?: unknown; password?: unknown } | undefined>;
    const e = Object.hasOwn(doc, tenant) ? doc[tenant] : undefined;
    return e && typeof e.username === 'string' && typeof e.password === 'string' ? { username: e.username, password: e.password } : null;
  };
}

