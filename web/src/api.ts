// Every call goes through the public API with the signed-in user's own token (Authorization header):
// the console holds no privilege of its own. Problems (RFC 9457) become ApiError with status and detail.
import { getToken, signOut } from './token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string, readonly type: string) {
    super(detail);
  }
}

export interface Page<T> {
  items: T[];
  next?: string;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const token = getToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const p = (body ?? {}) as { detail?: string; type?: string };
    // A revoked or wrong token: back to the login page.
    if (res.status === 401) signOut();
    throw new ApiError(res.status, p.detail ?? `HTTP ${res.status}`, p.type ?? '');
  }
  return body as T;
}

export const post = <T>(path: string, body: unknown = {}) => api<T>(path, { method: 'POST', body });

/** A query string from defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;
