// Shared by the observability integration tests: promtool/prometheus binaries from the environment,
// a running control plane (the real `fleetplane serve`) and a throwaway
// Prometheus server on a free 127.0.0.1 port with a temp data dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { Store } from '../../src/domain/ports/store.ts';

export function binaries(): { prometheus: string; promtool: string } {
  const prometheus = process.env.PROMETHEUS_BIN;
  const promtool = process.env.PROMTOOL_BIN;
  if (!prometheus || !promtool || !existsSync(prometheus) || !existsSync(promtool)) {
    throw new Error('PROMETHEUS_BIN / PROMTOOL_BIN are not set: run `eval "$(bash scripts/prometheus.sh ensure)"` first (scripts/test.sh does)');
  }
  return { prometheus, promtool };
}

export function promtool(args: string[], input?: string): { code: number; out: string } {
  const r = spawnSync(binaries().promtool, args, { input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `fleetplane-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ControlPlane {
  url: string;
  adminToken: string;
  /** The server's own store (same process), for fixtures the API cannot create directly. */
  store: Store;
  stop(): Promise<void>;
}

/** The real control plane (`fleetplane serve`: API, engine, embedded store in a temp dir) on 127.0.0.1. */
export async function startControlPlane(): Promise<ControlPlane> {
  const adminToken = `fpt_test_${randomBytes(16).toString('hex')}`;
  const dir = tempDir('cp');
  const { serve, serveConfig } = await import('../../src/cli/commands/serve.ts');
  const running = await serve(serveConfig({ FLEETPLANE_DATA_DIR: dir.path, FLEETPLANE_ADMIN_TOKEN: adminToken }, { port: 0, host: '127.0.0.1' }));
  return { url: running.url, adminToken, store: running.store, stop: async () => { await running.stop(); dir.remove(); } };
}

export interface PrometheusServer {
  url: string;
  query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export interface ExtraScrape {
  job: string;
  target: string;
  /** Target labels, as Prometheus Operator would attach them (namespace, service, …). */
  labels: Record<string, string>;
}

export async function startPrometheus(scrapeTarget: string, rulesFiles: string[] = [], extra: ExtraScrape[] = []): Promise<PrometheusServer> {
  const { prometheus } = binaries();
  const dir = tempDir('prom');
  const port = await freePort();
  const config = [
    'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
    ...(rulesFiles.length ? ['rule_files:', ...rulesFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:', '  - job_name: fleetplane', '    metrics_path: /metrics',
    '    static_configs:', `      - targets: [${JSON.stringify(scrapeTarget)}]`,
    ...extra.flatMap((e) => [
      `  - job_name: ${JSON.stringify(e.job)}`, '    static_configs:', `      - targets: [${JSON.stringify(e.target)}]`,
      '        labels:', ...Object.entries(e.labels).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`),
    ]),
  ].join('\n');
  writeFileSync(join(dir.path, 'prometheus.yml'), `${config}\n`);
  const child: ChildProcess = spawn(prometheus, [
    `--config.file=${join(dir.path, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + String(c)).slice(-4000); });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    dir.remove();
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 60_000, () => `prometheus did not become ready: ${stderr}`);
  } catch (err) {
    await stop();
    throw err;
  }
  const query = async (q: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${q} failed: ${body.error}`);
    return body.data.result;
  };
  return { url, query, stop };
}

/** Polls until check() is true; the deadline only bounds a hang, it is not an assertion on speed. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(why());
    await sleep(250);
  }
}
