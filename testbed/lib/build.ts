// Builds the pinned binaries from Go modules (one `go build` per module so packages shared by
// several commands compile once) into the version-keyed cache. A component whose binaries all
// exist is skipped, so only the first build on a machine is slow.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { COMPONENTS, GO_DIR, cacheRoot, componentDir, type Component } from './config.ts';
import { Progress } from './progress.ts';
import { run } from './exec.ts';
import { withLock } from './lock.ts';

export interface BuildResult {
  component: string;
  version: string;
  dir: string;
  cached: boolean;
  seconds: number;
}

export function isBuilt(c: Component): boolean {
  return [...Object.keys(c.binaries), ...Object.keys(c.links ?? {})].every((b) => existsSync(path.join(componentDir(c), b)));
}

function goEnv(c?: Component): NodeJS.ProcessEnv {
  return { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath -buildvcs=false -mod=readonly', ...c?.env };
}

export async function goBinary(): Promise<string> {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      await run(candidate, ['version']);
      return candidate;
    } catch {
      // try the next candidate
    }
  }
  throw new Error('testbed build needs Go 1.26+ on PATH (or /usr/local/go/bin/go)');
}

async function countPackages(go: string, c: Component): Promise<number> {
  const args = ['list', '-deps', '-f', '{{if not .Standard}}{{.ImportPath}}{{end}}', ...Object.values(c.binaries)];
  const out = await run(go, args, { cwd: path.join(GO_DIR, c.module), env: goEnv(c) });
  return out.split('\n').filter(Boolean).length;
}

/** Runs `go build -v` and counts the package names it prints to drive the progress display. */
function goBuild(go: string, c: Component, outDir: string, onPackage: () => void): Promise<void> {
  const ldflags = ['-s', '-w', ...c.ldflags].join(' ');
  const args = ['build', '-p', '2', '-v', '-ldflags', ldflags, '-o', outDir + path.sep, ...Object.values(c.binaries)];
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd: path.join(GO_DIR, c.module), env: goEnv(c), stdio: ['ignore', 'ignore', 'pipe'] });
    const errors: string[] = [];
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) onPackage();
        else if (line.trim()) errors.push(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`go build of ${c.name} ${c.version} failed (exit ${code}):\n${errors.slice(-30).join('\n')}`));
    });
  });
}

async function buildComponent(go: string, c: Component, progress: Progress): Promise<BuildResult> {
  const dir = componentDir(c);
  const started = Date.now();
  const total = await countPackages(go, c);
  const tmp = `${dir}.tmp-${process.pid}`;
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  progress.start(`${c.name} ${c.version}`, total);
  try {
    await goBuild(go, c, tmp, () => progress.tick());
    const seconds = Math.round((Date.now() - started) / 1000);
    // `go build -o dir/` names a binary after its package's last element (…/argo-cd/v3/cmd -> cmd).
    for (const [name, pkg] of Object.entries(c.binaries)) {
      if (path.basename(pkg) !== name) await fs.rename(path.join(tmp, path.basename(pkg)), path.join(tmp, name));
    }
    for (const [link, target] of Object.entries(c.links ?? {})) await fs.symlink(target, path.join(tmp, link));
    const goVersion = (await run(go, ['version'], { env: goEnv(c) })).trim();
    await fs.writeFile(path.join(tmp, 'BUILD.json'), JSON.stringify({ component: c.name, version: c.version, goVersion, seconds, builtAt: new Date().toISOString() }, null, 2));
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
    progress.stop(`built in ${seconds}s`);
    return { component: c.name, version: c.version, dir, cached: false, seconds };
  } catch (err) {
    progress.stop('failed');
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** True when `only` (component names, or name@version) selects `c`; no list selects everything. */
export function selects(only: string[] | undefined, c: Component): boolean {
  return !only || only.includes(c.name) || only.includes(`${c.name}@${c.version}`);
}

/**
 * Builds every missing component, in COMPONENTS order (the default Kubernetes release first: it is
 * the long one, and clusters need it). `only` takes component names (`kubernetes` = every release)
 * or name@version (`kubernetes@v1.36.3`).
 */
export async function buildAll(opts: { only?: string[]; log?: (line: string) => void } = {}): Promise<BuildResult[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const unknown = (opts.only ?? []).filter((o) => !COMPONENTS.some((c) => selects([o], c)));
  if (unknown.length) throw new Error(`unknown component ${unknown.join(', ')} (known: ${[...new Set(COMPONENTS.flatMap((c) => [c.name, `${c.name}@${c.version}`]))].join(', ')})`);
  // On-demand components (Argo CD) are built only when named.
  const wanted = COMPONENTS.filter((c) => (opts.only ? selects(opts.only, c) : !c.onDemand));
  const results: BuildResult[] = [];
  let go: string | undefined;
  for (const c of wanted) {
    const cachedResult = { component: c.name, version: c.version, dir: componentDir(c), cached: true, seconds: 0 };
    if (isBuilt(c)) {
      results.push(cachedResult);
      continue;
    }
    go ??= await goBinary();
    const goCmd = go;
    // Another process (a parallel test file, a second terminal) may be building the same component.
    const result = await withLock(path.join(cacheRoot(), '.locks', `${c.name}-${c.version}`), async () => {
      if (isBuilt(c)) return cachedResult;
      log(`[testbed] building ${c.name} ${c.version} from Go modules (first run on this machine; cached in ${componentDir(c)})`);
      return buildComponent(goCmd, c, new Progress(log));
    });
    results.push(result);
  }
  return results;
}
