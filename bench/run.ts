// `npm run bench` runs every bench/*.bench.ts in its own process and writes BENCHMARKS.md;
// `npm run bench -- NAME` runs bench/NAME.bench.ts only. Each benchmark prints, last, one JSON line:
// {"bench": NAME, "metric": ..., "value": ..., "unit": ..., "baseline": ..., "baseline_value": ..., "ratio": ...}
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : all;

function runOne(name: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, `${name}.bench.ts`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = chunk.toString().split('\n').filter((l) => l.trim().startsWith('{"bench"'));
      if (lines.length > 0) last = lines[lines.length - 1]!;
    });
    child.on('close', (code) => {
      if (code !== 0 || !last) return resolve(null);
      try { resolve(JSON.parse(last) as Record<string, unknown>); } catch { resolve(null); }
    });
  });
}

const results: Array<{ name: string; result: Record<string, unknown> | null }> = [];
for (const name of names) results.push({ name, result: await runOne(name) });

if (wanted.length === 0) {
  const rows = results.map(({ name, result }) => result
    ? `| ${name} | ${result.metric} | ${result.value} ${result.unit ?? ''} | ${result.baseline} | ${result.baseline_value} | ${result.ratio} |`
    : `| ${name} | failed | | | | |`);
  writeFileSync(join(here, '..', 'BENCHMARKS.md'), [
    '# Benchmarks', '', `Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}.`,
    'Ratios compare against a baseline measured in the same run (machines are shared and noisy).', '',
    '| bench | metric | value | baseline | baseline value | ratio |', '|---|---|---|---|---|---|', ...rows, '',
    'Full JSON lines:', '', '```', ...results.map((r) => JSON.stringify(r.result ?? { bench: r.name, failed: true })), '```', '',
  ].join('\n'));
}
process.exit(results.every((r) => r.result) ? 0 : 1);
