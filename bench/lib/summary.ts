// Pure helpers of the benchmarks: latency percentiles, the machine line and the BENCHMARKS.md
// tables. No I/O and no clock here (the runner passes the date and the machine in), so
// test/bench-summary.test.ts checks them cheaply.

/** The q-quantile (0..1) of `xs` by the nearest-rank method (the value at rank ceil(q·n)); NaN for none. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  if (q < 0 || q > 1) throw new RangeError(`quantile ${q} is outside 0..1`);
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** p50/p90/p99/max/mean of latencies in ms, rounded to µs. */
export function summarize(ms: readonly number[]): LatencySummary {
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
  const mean = ms.length === 0 ? Number.NaN : ms.reduce((a, b) => a + b, 0) / ms.length;
  return {
    count: ms.length, p50: r(percentile(ms, 0.5)), p90: r(percentile(ms, 0.9)), p99: r(percentile(ms, 0.99)),
    max: r(ms.length === 0 ? Number.NaN : Math.max(...ms)), mean: r(mean),
  };
}

/** x rounded to `digits` decimals. */
export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  /** os.loadavg() at the moment taken: 1, 5 and 15 minutes. */
  loadAverage: [number, number, number];
  platform: string;
  node: string;
}

const GIB = 2 ** 30;

/** One line: "2 cores (model), 23.4 GiB memory, load average 1.20 / 0.80 / 0.50, linux/x64, Node v20". */
export function machineLine(m: Machine): string {
  const load = m.loadAverage.map((x) => x.toFixed(2)).join(' / ');
  return `${m.cores} cores (${m.cpuModel}), ${(m.memoryBytes / GIB).toFixed(1)} GiB memory, load average ${load} (1/5/15 min), ${m.platform}, Node ${m.node}`;
}

/** One bench's last JSON line, as every bench/*.bench.ts prints it. */
export interface BenchResult {
  bench: string;
  metric: string;
  value: number | string;
  unit?: string;
  baseline?: string;
  baseline_value?: number | string;
  ratio?: number | string | null;
  /** Optional: what the project promises for this figure, and whether this run met it. */
  target?: string;
  meets_target?: boolean | null;
  /** Optional: further figures of the same bench, shown in its own section. */
  figures?: BenchFigure[];
  /** Optional: why a target was missed, or what to keep in mind reading the figures. */
  note?: string;
  [key: string]: unknown;
}

/** A row of a bench's own table: one measured figure next to its baseline and target. */
export interface BenchFigure {
  name: string;
  value: number | string;
  unit?: string;
  baseline?: string;
  baseline_value?: number | string | null;
  target?: string;
  meets_target?: boolean | null;
  /** Also quoted in the README's Reliability section (errors under load, failed upgrades, …). */
  reliability?: boolean;
}

export interface BenchRun {
  name: string;
  result: BenchResult | null;
  seconds: number;
  /** The machine's load average when this bench started. */
  loadAtStart: [number, number, number];
  /** When this bench started (ISO 8601). */
  measuredAt: string;
}

export interface MarkdownOptions {
  /** When the run began (ISO 8601). */
  date: string;
  /** The machine as the run began. */
  machine: Machine;
  loadAtEnd: [number, number, number];
  totalSeconds: number;
  command: string;
  /** Benches that exist but have no row (never measured by this runner). */
  notRun?: string[];
}

const cell = (x: unknown): string => (x === undefined || x === null ? '' : String(x).replace(/\|/g, '\\|').replace(/\n/g, ' '));
const verdict = (meets: boolean | null | undefined): string => (meets === true ? 'met' : meets === false ? '**missed**' : '');
const withUnit = (v: unknown, unit?: string): string => (v === undefined || v === null ? '' : `${cell(v)}${unit ? ` ${cell(unit)}` : ''}`);

function summaryRow(r: BenchRun): string {
  const x = r.result;
  const when = r.measuredAt.replace(/\.\d+Z$/, 'Z');
  const tail = `${when} | ${formatDuration(r.seconds)} | ${r.loadAtStart.map((l) => l.toFixed(1)).join(' / ')} |`;
  return x
    ? `| ${cell(r.name)} | ${cell(x.metric)} | ${withUnit(x.value, x.unit)} | ${cell(x.baseline)} | ${cell(x.baseline_value)} | ${cell(x.ratio)} | ${cell(x.target)} | ${verdict(x.meets_target)} | ${tail}`
    : `| ${cell(r.name)} | **failed** (see the run's output) | | | | | | | ${tail}`;
}

function figureRow(f: BenchFigure): string {
  const bv = f.baseline_value === undefined || f.baseline_value === null ? '' : withUnit(f.baseline_value, f.unit);
  return `| ${cell(f.name)} | ${withUnit(f.value, f.unit)} | ${cell(f.baseline)} | ${bv} | ${cell(f.target)} | ${verdict(f.meets_target)} |`;
}

/** A bench's own section: its figures table and its note (nothing when it has neither). */
function benchSection(r: BenchRun): string[] {
  const x = r.result;
  if (!x || (!x.figures?.length && !x.note)) return [];
  const out = ['', `## ${r.name}`, ''];
  if (x.figures?.length) out.push('| figure | value | baseline | baseline value | target | |', '|---|---|---|---|---|---|', ...x.figures.map(figureRow));
  if (x.note) out.push('', x.note);
  return out;
}

/** BENCHMARKS.md: machine, date, a summary table, then each bench's figures and notes, then the JSON lines. */
export function benchmarksMarkdown(runs: readonly BenchRun[], opts: MarkdownOptions): string {
  const earlier = runs.filter((r) => r.measuredAt < opts.date);
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const lines = [
    '# Benchmarks', '',
    `Written by \`${opts.command}\`, run started ${opts.date}, took ${formatDuration(opts.totalSeconds)}.`,
    `Machine: ${machineLine(opts.machine)}; load average at the end ${load(opts.loadAtEnd)}.`,
    'Every figure below was measured by the bench named in its row, each next to a baseline measured in the same bench run on the same machine',
    '(the machine is shared and noisy: read the ratios and the load average first). Nothing in this file is typed in.',
  ];
  if (earlier.length) lines.push(`Rows measured before this run (kept from the run that measured them, dated in their row): ${earlier.map((r) => r.name).join(', ')}.`);
  if (opts.notRun?.length) lines.push(`Not measured by this runner yet: ${opts.notRun.join(', ')}.`);
  lines.push('',
    '| bench | metric | value | baseline | baseline value | ratio | target | | measured | took | load at start |',
    '|---|---|---|---|---|---|---|---|---|---|---|');
  lines.push(...runs.map(summaryRow));
  for (const r of runs) lines.push(...benchSection(r));
  lines.push('', '## Full JSON lines', '', '```');
  for (const r of runs) lines.push(JSON.stringify(r.result ?? { bench: r.name, failed: true, measured_at: r.measuredAt }));
  lines.push('```', '');
  return lines.join('\n');
}

/** 75 -> "1 min 15 s", 9.4 -> "9.4 s". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${round(seconds, 1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${s} s`;
}

/** Markers around the README's generated blocks; the runner replaces what is between them. */
export const README_BLOCKS = {
  performance: ['<!-- bench:performance:begin (written by npm run bench from BENCHMARKS.md; do not edit) -->', '<!-- bench:performance:end -->'],
  reliability: ['<!-- bench:reliability:begin (written by npm run bench from BENCHMARKS.md; do not edit) -->', '<!-- bench:reliability:end -->'],
} as const;

const day = (iso: string): string => iso.replace(/T.*$/, '');

/**
 * The README's two quoted blocks: performance = every bench's headline figure next to its baseline and
 * target; reliability = the figures the benches mark `reliability`. Each names the date of its rows.
 */
export function readmeBlocks(runs: readonly BenchRun[], opts: { date: string; machine: Machine }): { performance: string; reliability: string } {
  const dates = [...new Set(runs.map((r) => day(r.measuredAt)))].sort();
  const when = dates.length <= 1 ? `on ${dates[0] ?? day(opts.date)}` : `between ${dates[0]} and ${dates[dates.length - 1]}`;
  const head = `From [BENCHMARKS.md](BENCHMARKS.md), measured ${when} on ${opts.machine.cores} cores / ${(opts.machine.memoryBytes / GIB).toFixed(0)} GiB `
    + `(load average ${opts.machine.loadAverage[0].toFixed(1)} at the start of the run); each figure next to its baseline from the same run.`;
  const perf = ['| bench | figure | value | baseline | target | |', '|---|---|---|---|---|---|'];
  for (const r of runs) {
    const x = r.result;
    if (!x) { perf.push(`| ${cell(r.name)} | failed in the run of ${day(r.measuredAt)} | | | | |`); continue; }
    perf.push(`| ${cell(r.name)} | ${cell(x.metric)} | ${withUnit(x.value, x.unit)} | ${cell(x.baseline)}: ${withUnit(x.baseline_value, x.unit)} | ${cell(x.target)} | ${verdict(x.meets_target)} |`);
  }
  const rel = ['| bench | figure | value | target | |', '|---|---|---|---|---|'];
  for (const r of runs) {
    for (const f of r.result?.figures?.filter((g) => g.reliability) ?? []) {
      rel.push(`| ${cell(r.name)} | ${cell(f.name)} | ${withUnit(f.value, f.unit)} | ${cell(f.target)} | ${verdict(f.meets_target)} |`);
    }
  }
  const missed = runs.filter((r) => r.result?.meets_target === false).map((r) => r.name);
  const tail = missed.length ? [`Targets missed in that run: ${missed.join(', ')} (the notes in BENCHMARKS.md say by how much and why).`] : [];
  return {
    performance: [head, '', ...perf, '', ...tail].join('\n'),
    reliability: [head, '', ...(rel.length > 2 ? rel : ['No bench in that run reported reliability figures.'])].join('\n'),
  };
}

/** `text` with the block between `markers` replaced by `body`; unchanged when the markers are missing. */
export function replaceBlock(text: string, markers: readonly [string, string], body: string): string {
  const [begin, end] = markers;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return text;
  return `${text.slice(0, i + begin.length)}\n${body}\n${text.slice(j)}`;
}
