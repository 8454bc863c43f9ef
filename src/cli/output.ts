// CLI output: a table by default (kubectl-like), or the raw objects as JSON or YAML.
import YAML from 'yaml';
import { CliError } from './client.ts';

export type Format = 'table' | 'json' | 'yaml';
export type Column<T> = [header: string, value: (row: T) => unknown];

export function parseFormat(v: string | undefined): Format {
  const f = (v ?? 'table').toLowerCase();
  if (f === 'table' || f === 'json' || f === 'yaml') return f;
  throw new CliError(`unknown output format "${v}": use table, json or yaml`, 2);
}

export function formatCell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v)) return v.map(formatCell).join(',');
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${formatCell(x)}`).join(',') || '-';
  return String(v);
}

export function table<T>(rows: T[], columns: Array<Column<T>>): string {
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => formatCell(f(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n');
}

/** Renders data; `rows` picks what the table shows (a list's items or the one object). */
export function render<T>(data: unknown, format: Format, rows: T[], columns: Array<Column<T>>): string {
  if (format === 'json') return JSON.stringify(data, null, 2);
  if (format === 'yaml') return YAML.stringify(data).trimEnd();
  if (rows.length === 0) return 'No resources found.';
  return table(rows, columns);
}

export function age(iso: unknown, now = Date.now()): string {
  if (typeof iso !== 'string') return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
