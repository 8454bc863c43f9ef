// Browser-test support: Debian's Chromium driven by playwright-core (scripts/chromium.sh installs it;
// FLEETPLANE_CHROMIUM names it), a real `fleetplane serve` on the embedded store in a temp dir, axe-core
// injected into pages, and the folder screenshots go to (FLEETPLANE_CONSOLE_SHOTS, default
// .console-shots/ in the checkout, gitignored).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHOTS_DIR = process.env.FLEETPLANE_CONSOLE_SHOTS || join(ROOT, '.console-shots');

/** The flags the machine notes give for Chromium on a closed network, as root. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function chromiumPath(): string {
  const p = process.env.FLEETPLANE_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`Chromium not found at ${p}: run eval "$(bash scripts/chromium.sh ensure)"`);
  return p;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

export function consoleBuilt(): boolean {
  return existsSync(join(process.env.FLEETPLANE_CONSOLE_DIR || join(ROOT, 'web', 'dist'), 'index.html'));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface Served {
  url: string;
  dataDir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `fleetplane serve` (API + engine + rollout controller) on a fresh embedded store. */
export async function serveEmbedded(o: { adminToken: string; env?: Record<string, string> }): Promise<Served> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fp-console-e2e-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      ...process.env, FLEETPLANE_DATABASE_URL: '', FLEETPLANE_ADMIN_TOKEN: o.adminToken, FLEETPLANE_LOG_LEVEL: 'warn', FLEETPLANE_PROMETHEUS_URL: '',
      ...(o.env ?? {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve exited early (${child.exitCode}): ${stderr}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    if (i > 2400) {
      // Not left running (it would keep the test process alive).
      child.kill('SIGKILL');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`serve did not become healthy in 600 s: ${stderr}`);
    }
    await sleep(250);
  }
  return {
    url, dataDir, child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const require = createRequire(import.meta.url);

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: number; targets: string[] }

/** Injects axe-core into the page and runs it (WCAG 2.x A and AA rules); returns the violations. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') refuses inline tags.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } };
    const r = await w.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

export async function shot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(SHOTS_DIR, { recursive: true });
  const path = join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Signs in through the login form (the token is typed, never put in a URL). */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('scope').filter({ hasText: /./ }).waitFor();
}
