// The benchmark runner's pure helpers (bench/lib/summary.ts): percentiles, summaries, the machine line
// and the BENCHMARKS.md it writes. No timing here: the inputs are fixed numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { README_BLOCKS, benchmarksMarkdown, formatDuration, machineLine, percentile, readmeBlocks, replaceBlock, summarize, type BenchRun, type Machine } from '../bench/lib/summary.ts';

test('percentile is nearest-rank over the sorted values, whatever their order', () => {
  const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  assert.equal(percentile(xs, 0.5), 5);
  assert.equal(percentile(xs, 0.9), 9);
  assert.equal(percentile(xs, 0.99), 10);
  assert.equal(percentile(xs, 1), 10);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
  assert.throws(() => percentile(xs, 1.5), RangeError);
  assert.deepEqual(xs, [5, 1, 4, 2, 3, 10, 9, 8, 7, 6], 'the input is not sorted in place');
});

test('p99 of 1,000 samples is the 990th smallest', () => {
  const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1
  assert.equal(percentile(xs, 0.99), 990);
  assert.equal(percentile(xs, 0.5), 500);
});

test('summarize rounds to microseconds and counts', () => {
  const s = summarize([1.23456, 2.5, 0.5, 4]);
  assert.deepEqual(s, { count: 4, p50: 1.235, p90: 4, p99: 4, max: 4, mean: 2.059 });
  assert.equal(summarize([]).count, 0);
});

test('formatDuration: seconds, minutes, hours', () => {
  assert.equal(formatDuration(9.44), '9.4 s');
  assert.equal(formatDuration(75), '1 min 15 s');
  assert.equal(formatDuration(3725), '1 h 2 min');
});

const machine: Machine = { cores: 2, cpuModel: 'Test CPU', memoryBytes: 24 * 2 ** 30, loadAverage: [1.5, 0.75, 0.25], platform: 'linux/x64', node: 'v20.19.0' };

test('the machine line names cores, memory and the load average', () => {
  assert.equal(machineLine(machine), '2 cores (Test CPU), 24.0 GiB memory, load average 1.50 / 0.75 / 0.25 (1/5/15 min), linux/x64, Node v20.19.0');
});

test('BENCHMARKS.md: summary row, figures with verdicts, failed and earlier rows dated, JSON lines', () => {
  const runs: BenchRun[] = [
    {
      name: 'api', seconds: 95, loadAtStart: [1, 1, 1], measuredAt: '2026-12-02T09:00:00.123Z',
      result: {
        bench: 'api', metric: 'p99 | get', value: 3.2, unit: 'ms', baseline: 'bare', baseline_value: 1.1, ratio: 2.91, target: '< 10 ms', meets_target: true,
        figures: [{ name: 'RSS', value: 320, unit: 'MiB', baseline: 'bare', baseline_value: 90, target: '< 300 MB', meets_target: false }], note: 'Missed: RSS.',
      },
    },
    { name: 'rollout', seconds: 5, loadAtStart: [2, 2, 2], measuredAt: '2026-12-02T09:02:00.000Z', result: null },
    { name: 'render', seconds: 30, loadAtStart: [3, 3, 3], measuredAt: '2026-11-30T10:00:00.000Z', result: { bench: 'render', metric: 'ms', value: 1 } },
  ];
  const md = benchmarksMarkdown(runs, { date: '2026-12-02T09:00:00.000Z', machine, loadAtEnd: [2, 1, 0.5], totalSeconds: 100, command: 'npm run bench', notRun: ['console'] });
  assert.match(md, /^# Benchmarks\n/);
  assert.match(md, /run started 2026-12-02T09:00:00.000Z, took 1 min 40 s/);
  assert.match(md, /Machine: 2 cores \(Test CPU\), 24.0 GiB memory, load average 1.50 \/ 0.75 \/ 0.25/);
  assert.match(md, /load average at the end 2.00 \/ 1.00 \/ 0.50/);
  assert.match(md, /\| api \| p99 \\\| get \| 3.2 ms \| bare \| 1.1 \| 2.91 \| < 10 ms \| met \| 2026-12-02T09:00:00Z \| 1 min 35 s \| 1.0 \/ 1.0 \/ 1.0 \|/);
  assert.match(md, /\| rollout \| \*\*failed\*\*/);
  assert.match(md, /Rows measured before this run .*: render\./);
  assert.match(md, /Not measured by this runner yet: console\./);
  assert.match(md, /## api\n\n\| figure \|.*\n\|---.*\n\| RSS \| 320 MiB \| bare \| 90 MiB \| < 300 MB \| \*\*missed\*\* \|\n\nMissed: RSS\./);
  const json = /```\n([\s\S]*?)```/.exec(md)![1]!.trim().split('\n').map((l) => JSON.parse(l) as { bench: string; failed?: boolean });
  assert.deepEqual(json.map((j) => [j.bench, j.failed ?? false]), [['api', false], ['rollout', true], ['render', false]]);
});

test('README blocks quote the rows with their date; reliability takes only the figures marked so; replaceBlock keeps the rest', () => {
  const runs: BenchRun[] = [
    {
      name: 'api', seconds: 1, loadAtStart: [0, 0, 0], measuredAt: '2026-12-02T09:00:00.000Z',
      result: {
        bench: 'api', metric: 'p99', value: 12, unit: 'ms', baseline: 'bare', baseline_value: 2, target: '< 10 ms', meets_target: false,
        figures: [{ name: 'errors', value: 0, target: '0', meets_target: true, reliability: true }, { name: 'p50', value: 1, unit: 'ms' }],
      },
    },
    { name: 'render', seconds: 1, loadAtStart: [0, 0, 0], measuredAt: '2026-11-30T09:00:00.000Z', result: null },
  ];
  const b = readmeBlocks(runs, { date: '2026-12-02T09:00:00.000Z', machine });
  assert.match(b.performance, /measured between 2026-11-30 and 2026-12-02 on 2 cores \/ 24 GiB \(load average 1.5/);
  assert.match(b.performance, /\| api \| p99 \| 12 ms \| bare: 2 ms \| < 10 ms \| \*\*missed\*\* \|/);
  assert.match(b.performance, /\| render \| failed in the run of 2026-11-30 \|/);
  assert.match(b.performance, /Targets missed in that run: api/);
  assert.match(b.reliability, /\| api \| errors \| 0 \| 0 \| met \|/);
  assert.doesNotMatch(b.reliability, /p50/);

  const [begin, end] = README_BLOCKS.performance;
  const text = `# T\n\n${begin}\nold\n${end}\n\nafter\n`;
  assert.equal(replaceBlock(text, README_BLOCKS.performance, 'new'), `# T\n\n${begin}\nnew\n${end}\n\nafter\n`);
  assert.equal(replaceBlock('no markers', README_BLOCKS.performance, 'new'), 'no markers');
});
