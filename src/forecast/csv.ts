// `ts,value` CSV traces (Unix seconds): tolerate one header line and blank lines; anything else that is
// not two finite numbers is an error naming file:line, so a broken trace never produces a silent WAPE.
import { InputError } from '../domain/errors.ts';
import type { Sample } from './series.ts';

export function parseTraceCsv(text: string, file: string): Sample[] {
  const out: Sample[] = [];
  const lines = text.split(/\r?\n/);
  let seenData = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const row = parseRow(line);
    if (!row) {
      if (!seenData && out.length === 0 && /^[A-Za-z_"]/.test(line)) { seenData = true; continue; } // header
      throw new InputError(`${file}:${i + 1}: expected "ts,value" with numeric Unix seconds and value, got ${JSON.stringify(line.slice(0, 60))}`);
    }
    if (out.length > 0 && row.ts <= out[out.length - 1]!.ts) {
      throw new InputError(`${file}:${i + 1}: timestamps must increase (${row.ts} after ${out[out.length - 1]!.ts})`);
    }
    seenData = true;
    out.push(row);
  }
  if (out.length === 0) throw new InputError(`${file}: no data rows`);
  return out;
}

function parseRow(line: string): Sample | null {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length !== 2 || cells[0] === '' || cells[1] === '') return null;
  const ts = Number(cells[0]);
  const value = Number(cells[1]);
  return Number.isFinite(ts) && Number.isFinite(value) ? { ts, value } : null;
}
