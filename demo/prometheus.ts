// The big tour's own Prometheus (Debian's package, scripts/prometheus.sh ensure installs it): scrapes
// the demo's `fleetplane serve` every 5 s with the control plane's alert rules loaded, on a free
// 127.0.0.1 port with its data under the tour's data directory. The rollouts' metric gate queries it
// (FLEETPLANE_PROMETHEUS_URL), and it stays up with the server for exploring.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { controlPlaneRulesYaml } from '../src/observability/control-plane.ts';
import { resolveRunbookBase } from '../src/render/monitoring/runbooks.ts';
import { freePort, track } from './server.ts';
import { sleep } from './ui.ts';

export interface DemoPrometheus { url: string; child: ChildProcess; stop(): Promise<void> }

export function prometheusBinary(): string | null {
  const candidates = [process.env.PROMETHEUS_BIN, '/usr/bin/prometheus', '/usr/local/bin/prometheus'];
  return candidates.find((c): c is string => Boolean(c && existsSync(c))) ?? null;
}

export async function startPrometheus(dataDir: string, target: string): Promise<DemoPrometheus> {
  const bin = prometheusBinary();
  if (!bin) throw new Error('no prometheus binary (run `bash scripts/prometheus.sh ensure`, or set PROMETHEUS_BIN)');
  const dir = join(dataDir, 'prometheus');
  await mkdir(join(dir, 'data'), { recursive: true });
  const rules = join(dir, 'control-plane-rules.yaml');
  await writeFile(rules, controlPlaneRulesYaml({ runbookBase: resolveRunbookBase(process.env.FLEETPLANE_RUNBOOK_URL, `http://${target}`) }));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, [
    'global: { scrape_interval: 5s, evaluation_interval: 15s }',
    `rule_files: ['${rules}']`,
    'scrape_configs:',
    '  - job_name: fleetplane',
    '    metrics_path: /metrics',
    `    static_configs: [{ targets: ['${target}'] }]`,
    '',
  ].join('\n'));
  const port = await freePort();
  const log = openSync(join(dir, 'prometheus.log'), 'a');
  const child = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=2d'], {
    stdio: ['ignore', log, log], detached: true,
  });
  closeSync(log);
  track(child);
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (code ${child.exitCode}); see ${join(dir, 'prometheus.log')}`);
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`prometheus at ${url} not ready after 60 s`);
    await sleep(500);
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { url, child, stop };
}

/** One instant query's scalar (the first sample), or null. */
export async function instant(url: string, query: string): Promise<number | null> {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(5000) });
  const body = await r.json() as { data?: { result?: Array<{ value?: [number, string] }> } };
  const v = body.data?.result?.[0]?.value?.[1];
  return v === undefined ? null : Number(v);
}

/** Waits until Prometheus has scraped the target at least once (`up == 1`). */
export async function waitScraped(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await instant(url, 'up{job="fleetplane"}').catch(() => null) === 1) return;
    await sleep(1000);
  }
  throw new Error(`prometheus at ${url} has not scraped fleetplane serve after ${timeoutMs / 1000} s`);
}
