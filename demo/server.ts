// The demo's own `fleetplane serve`: embedded store in a temp dir, JSON logs to a file, short
// reconcile/verify timings so drift healing and rollback show up within the tour.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ApiClient } from '../src/cli/client.ts';
import { allBinaryPaths } from '../testbed/index.ts';

export const ROOT = resolve(import.meta.dirname, '..');

/** Every child process the demo started and has not seen exit: a signal handler can stop them all. */
export const CHILDREN = new Set<ChildProcess>();

/** Remembers a child until it exits. */
export function track(child: ChildProcess): ChildProcess {
  CHILDREN.add(child);
  child.once('exit', () => CHILDREN.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

/** Engine timings for the demo (see docs/engine.md, Configuration); the caller's env wins. */
export const DEMO_ENGINE_ENV: Record<string, string> = {
  FLEETPLANE_RECONCILE_INTERVAL: '4s',
  // GitOps is verified from Argo CD's Application: commit to Synced+Healthy took p50 20 s, p95 60 s at load 30 (bench gitops).
  FLEETPLANE_VERIFY_TIMEOUT: '90s',
  FLEETPLANE_VERIFY_ATTEMPTS: '1',
  FLEETPLANE_RETRY_BASE_MS: '500',
  FLEETPLANE_ROLLOUT_INTERVAL_MS: '1000',
};

/**
 * `defaults` (engine tuning, default DEMO_ENGINE_ENV) give way to the caller's environment; `env`
 * (the store, token, Argo CD and Prometheus settings of this tour) does not.
 */
export function startServer(o: { port: number; dataDir: string; logFile: string; token: string; workers: boolean; env?: Record<string, string>; defaults?: Record<string, string> }): ChildProcess {
  const log = openSync(o.logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...(o.defaults ?? DEMO_ENGINE_ENV), ...process.env };
  // Bundles of the default blueprints carry the vendored cache chart, which serve pre-renders with
  // helm (FLEETPLANE_HELM): the testbed's pinned helm (built with Argo CD) when nothing else is set.
  const helm = allBinaryPaths().helm;
  if (!env.FLEETPLANE_HELM && helm?.built) env.FLEETPLANE_HELM = helm.path;
  Object.assign(env, {
    FLEETPLANE_ADMIN_TOKEN: o.token, FLEETPLANE_DATABASE_URL: '', FLEETPLANE_PROMETHEUS_URL: '',
    FLEETPLANE_LOG_LEVEL: process.env.FLEETPLANE_LOG_LEVEL ?? 'info', FLEETPLANE_WORKERS: o.workers ? '1' : '0',
  }, o.env ?? {});
  // Its own process group: Ctrl-C at the terminal reaches the demo (which then offboards and stops
  // the server), not the server directly; the demo's exit takes the server with it.
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', '--port', String(o.port), '--data-dir', o.dataDir], {
    cwd: ROOT, env, stdio: ['ignore', log, log], detached: true,
  });
  closeSync(log);
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  return track(child);
}

export async function waitReady(client: ApiClient, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (code ${child.exitCode})`);
    try {
      await client.get('/readyz');
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('server did not become ready in time');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
