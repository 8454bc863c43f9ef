// The token lives in sessionStorage (this tab only, gone when it closes), never in a URL.
const KEY = 'fleetplane.token';
const listeners = new Set<() => void>();

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
  for (const l of listeners) l();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function onTokenChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
