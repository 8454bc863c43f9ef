export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function duration(a?: string | null, b?: string | null): string {
  if (!a) return '—';
  const ms = (b ? Date.parse(b) : Date.now()) - Date.parse(a);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

export const cores = (millis: number) => `${(millis / 1000).toFixed(millis % 1000 === 0 ? 0 : 1)}`;
export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)}`;
export const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`);
