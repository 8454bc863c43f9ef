// Test support: a real Prometheus server (Debian package binaries) preloaded with recorded samples via
// `promtool tsdb create-blocks-from openmetrics`, or scraping a small exporter (startPrometheusScraping),
// on a free 127.0.0.1 port with a temp data dir that is removed on stop. Used by integration tests and
// benches, nothing at run time.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Sample } from '../../src/forecast/series.ts';

const run = promisify(execFile);

export interface PrometheusBinaries { prometheus: string; promtool: string }

/** PROMETHEUS_BIN / PROMTOOL_BIN from scripts/prometheus.sh, or a clear error naming the script. */
export function prometheusBinaries(): PrometheusBinaries {
  const prometheus = process.env.PROMETHEUS_BIN;
  const promtool = process.env.PROMTOOL_BIN;
  if (!prometheus || !promtool) {
    throw new Error('PROMETHEUS_BIN and PROMTOOL_BIN are not set: run `eval "$(bash scripts/prometheus.sh ensure)"` first (npm test does)');
  }
  return { prometheus, promtool };
}

export interface SeriesToLoad {
  metric: string;
  labels?: Record<string, string>;
  samples: readonly Sample[];
}

/** OpenMetrics text (gauges, timestamps in seconds) ending with # EOF, as promtool expects. */
export function toOpenMetrics(series: readonly SeriesToLoad[]): string {
  const lines: string[] = [];
  const typed = new Set<string>();
  for (const s of series) {
    if (!typed.has(s.metric)) { lines.push(`# TYPE ${s.metric} gauge`); typed.add(s.metric); }
  }
  for (const s of series) {
    const labels = Object.entries(s.labels ?? {}).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');
    const name = labels ? `${s.metric}{${labels}}` : s.metric;
    for (const p of s.samples) lines.push(`${name} ${p.value} ${p.ts}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited early with code ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`prometheus at ${url} not ready after ${timeoutMs} ms`);
}

export interface RunningPrometheus { url: string; dataDir: string; stop(): Promise<void> }

/** Runs a server on the config and data dir `prepare` writes into a fresh temp dir (removed on stop). */
async function launch(bins: PrometheusBinaries, prepare: (dir: string) => Promise<{ config: string; args?: string[] }>): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-prom-'));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const data = join(dir, 'data');
    const { config, args = [] } = await prepare(dir);
    await writeFile(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(bins.prometheus, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, ...args, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitReady(url, child, 60_000);
    return { url, dataDir: data, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function startPrometheusWith(series: readonly SeriesToLoad[], bins = prometheusBinaries()): Promise<RunningPrometheus> {
  return launch(bins, async (dir) => {
    const om = join(dir, 'trace.om');
    await writeFile(om, toOpenMetrics(series));
    await run(bins.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', om, join(dir, 'data')], { maxBuffer: 16 << 20 });
    // Recorded traces are old: keep them instead of expiring them against today's wall clock.
    return { config: 'global:\n  scrape_interval: 1m\nscrape_configs: []\n', args: ['--storage.tsdb.retention.time=100y'] };
  });
}

/** A Prometheus scraping `targets` (host:port, /metrics) every `scrapeIntervalS` seconds (default 1), from empty. */
export function startPrometheusScraping(targets: readonly string[], opts: { scrapeIntervalS?: number } = {}, bins = prometheusBinaries()): Promise<RunningPrometheus> {
  const every = `${opts.scrapeIntervalS ?? 1}s`;
  const config = [
    'global:', `  scrape_interval: ${every}`, `  scrape_timeout: ${every}`, 'scrape_configs:', '  - job_name: exporter',
    '    honor_labels: true', '    static_configs:', `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`, '',
  ].join('\n');
  return launch(bins, async () => ({ config }));
}
