// `ts,value` CSV traces (Unix seconds): tolerate one header line and blank lines. A value of NaN (what
// Prometheus exports for a missing point) is a gap, filled like any other. Anything else that is not a
// timestamp and a finite value >= 0, or a timestamp that does not increase, is an error naming file:line,
// so a broken trace never produces a silent WAPE.
import { InputError } from '../domain/errors.ts';
import type { Sample } from './series.ts';

export interface ParsedTrace {
  samples: Sample[];
  /** Line number (1-based) of each sample, to name file:line in later checks. */
  lines: number[];
  /** Rows whose value was NaN (kept as gaps). */
  missing: number;
}

// Unix seconds for the years 1973-5138; anything larger is almost certainly milliseconds.
const MAX_SECONDS = 1e11;

function rowError(file: string, line: number, why: string): InputError {
  return new InputError(`${file}:${line}: ${why}`);
}

export function parseTrace(text: string, file: string): ParsedTrace {
  const samples: Sample[] = [];
  const lines: number[] = [];
  let missing = 0;
  let header = false;
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const line = rows[i]!.trim();
    if (line === '') continue;
    const row = parseRow(line);
    if (row === null) {
      if (samples.length === 0 && !header && /^[A-Za-z_"]/.test(line)) { header = true; continue; }
      throw rowError(file, i + 1, `expected "ts,value" with numeric Unix seconds and value, got ${JSON.stringify(line.slice(0, 60))}`);
    }
    checkRow(row, { file, line: i + 1, prev: samples[samples.length - 1] });
    if (Number.isNaN(row.value)) missing++;
    samples.push(row);
    lines.push(i + 1);
  }
  if (samples.length === 0) throw new InputError(`${file}: no data rows`);
  return { samples, lines, missing };
}

function checkRow(row: Sample, at: { file: string; line: number; prev?: Sample }): void {
  const { file, line, prev } = at;
  if (row.ts > MAX_SECONDS) throw rowError(file, line, `timestamp ${row.ts} looks like milliseconds; use Unix seconds`);
  if (!Number.isNaN(row.value) && !Number.isFinite(row.value)) throw rowError(file, line, `value ${row.value} is not finite`);
  if (row.value < 0) throw rowError(file, line, `negative value ${row.value}: a load (rate, cores, bytes, queue depth) is >= 0`);
  if (prev && row.ts <= prev.ts) throw rowError(file, line, `timestamps must increase (${row.ts} after ${prev.ts}): sort the file by ts`);
}

/** Samples only (the older interface, used by benches and tests). */
export function parseTraceCsv(text: string, file: string): Sample[] {
  return parseTrace(text, file).samples;
}

function parseRow(line: string): Sample | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== 2 || cells[0] === '' || cells[1] === '') return null;
  const ts = Number(cells[0]);
  const value = /^[+-]?nan$/i.test(cells[1]!) ? Number.NaN : Number(cells[1]);
  if (!Number.isFinite(ts) || (Number.isNaN(value) && !/nan$/i.test(cells[1]!))) return null;
  return { ts, value };
}
