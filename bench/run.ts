// `npm run bench` runs every bench/*.bench.ts, each in its own process, one after the other, and writes
// BENCHMARKS.md: the machine (cores, memory, load average), the date, how long each bench took and the
// load when it started, then every bench's figures next to its baseline (bench/lib/summary.ts).
// `npm run bench -- NAME…` runs those only and leaves BENCHMARKS.md alone; `-- --write NAME…` also
// rewrites it: the benches run now replace their rows, the others keep the rows of the run that
// measured them, each with its own date (so the file always says when a figure was taken). Writing
// BENCHMARKS.md also rewrites the README's Performance and Reliability blocks from the same rows.
// A new bench plugs in by being a bench/NAME.bench.ts whose last stdout line is one JSON object:
// {"bench": NAME, "metric", "value", "unit", "baseline", "baseline_value", "ratio", and optionally
//  "target", "meets_target", "figures": [{name, value, unit, baseline, baseline_value, target, meets_target}], "note"}.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { README_BLOCKS, benchmarksMarkdown, formatDuration, readmeBlocks, replaceBlock, type BenchResult, type BenchRun, type Machine } from './lib/summary.ts';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '..', 'BENCHMARKS.md');
const README = join(here, '..', 'README.md');
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort();
const args = process.argv.slice(2);
const wanted = args.filter((a) => !a.startsWith('-'));
const write = wanted.length === 0 || args.includes('--write');
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : all;

const load3 = (): [number, number, number] => loadavg() as [number, number, number];
const machine = (): Machine => ({
  cores: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryBytes: totalmem(), loadAverage: load3(),
  platform: `${process.platform}/${process.arch}`, node: process.version,
});

function runOne(name: string): Promise<BenchResult | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, `${name}.bench.ts`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim().startsWith('{"bench"')) last = l.trim();
    });
    child.on('close', (code) => {
      if (partial.trim().startsWith('{"bench"')) last = partial.trim();
      if (code !== 0 || !last) return resolve(null);
      try { resolve(JSON.parse(last) as BenchResult); } catch { resolve(null); }
    });
  });
}

/** The rows of the BENCHMARKS.md on disk that carry their own date (written by this runner). */
function earlierRuns(): BenchRun[] {
  if (!existsSync(OUT)) return [];
  const block = /## Full JSON lines\s+```\n([\s\S]*?)```/.exec(readFileSync(OUT, 'utf8'))?.[1] ?? '';
  const out: BenchRun[] = [];
  for (const line of block.split('\n')) {
    try {
      const r = JSON.parse(line) as BenchResult & { measured_at?: string; seconds?: number; load_at_start?: [number, number, number] };
      if (r.bench && r.measured_at && !r.failed) {
        out.push({ name: r.bench, result: r, seconds: r.seconds ?? 0, loadAtStart: r.load_at_start ?? [0, 0, 0], measuredAt: r.measured_at });
      }
    } catch { /* not a result line */ }
  }
  return out;
}

const started = new Date();
const atStart = machine();
const t0 = performance.now();
const runs: BenchRun[] = [];
for (const name of names) {
  const loadAtStart = load3();
  const measuredAt = new Date().toISOString();
  const b0 = performance.now();
  process.stderr.write(`bench: ${name} (load ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')})\n`);
  const result = await runOne(name);
  const seconds = (performance.now() - b0) / 1000;
  process.stderr.write(`bench: ${name} ${result ? 'done' : 'FAILED'} in ${formatDuration(seconds)}\n`);
  runs.push({ name, result: result ? { ...result, measured_at: measuredAt, seconds: Math.round(seconds), load_at_start: loadAtStart.map((l) => Math.round(l * 100) / 100) } : null, seconds, loadAtStart, measuredAt });
}
const totalSeconds = (performance.now() - t0) / 1000;

if (write) {
  const kept = wanted.length === 0 ? [] : earlierRuns().filter((r) => !names.includes(r.name) && all.includes(r.name));
  const rows = [...runs, ...kept].sort((a, b) => all.indexOf(a.name) - all.indexOf(b.name));
  const notRun = all.filter((n) => !rows.some((r) => r.name === n));
  // The machine as it was when the run began, with the load average at its end next to it.
  writeFileSync(OUT, benchmarksMarkdown(rows, {
    date: started.toISOString(), machine: atStart, loadAtEnd: load3(), totalSeconds,
    command: wanted.length === 0 ? 'npm run bench' : `npm run bench -- --write ${names.join(' ')}`, notRun,
  }));
  // The README's Performance and Reliability sections quote the same rows (between their markers).
  const blocks = readmeBlocks(rows, { date: started.toISOString(), machine: atStart });
  const readme = readFileSync(README, 'utf8');
  writeFileSync(README, replaceBlock(replaceBlock(readme, README_BLOCKS.performance, blocks.performance), README_BLOCKS.reliability, blocks.reliability));
  process.stderr.write(`bench: wrote ${OUT} and the README's Performance and Reliability sections\n`);
}
process.stderr.write(`bench: ${runs.length} benchmark(s) in ${formatDuration(totalSeconds)}\n`);
process.exit(runs.every((r) => r.result) ? 0 : 1);
