// Render benchmark: render + hash 10,000 environments of the default blueprint (mixed tiers, env
// types, values and both releases) both ways the renderer offers, through the bulk API
// (renderEnvironments: per-shape stencils) and one at a time (renderEnvironment: the direct build the
// engine and the API use; measured in a child process with its own heap), against `helm template` of the equivalent chart (bench/helm-chart,
// regenerated from the renderer on every run) for a sample of environments, all three interleaved so
// they see the same machine load. Prints a summary, then one JSON line (DESIGN.md): value and ratio
// (helm wall ms per env / Fleetplane wall ms per env) are the bulk API's, direct_* the direct build's,
// cpu_* the same in CPU time. Then, optionally, the same environments split across worker threads
// (renderEnvironments per slice; this file is also the worker) for the wall time of a batch using
// every core.
// RENDER_BENCH_ENVS (10000), RENDER_BENCH_HELM_RUNS (30) and RENDER_BENCH_WORKERS (default 0: no
// parallel run; on the shared 2-core machine two workers cost twice the CPU per environment and
// were not faster, see docs/rendering.md) change the sizes.
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import { ENVIRONMENT_TYPES, TIERS, type EnvironmentType } from '../src/domain/types.ts';
import { renderEnvironment, renderEnvironments, type RenderInput } from '../src/render/index.ts';
import { generateChart } from './helm-chart/generate.ts';

const ENVS = Number(process.env.RENDER_BENCH_ENVS ?? 10_000);
const HELM_RUNS = Number(process.env.RENDER_BENCH_HELM_RUNS ?? 30);
const WORKERS = Math.min(Number(process.env.RENDER_BENCH_WORKERS ?? 0), availableParallelism());
const root = join(import.meta.dirname, '..');
const run = promisify(execFile);

const blueprints = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));
const TYPES = ENVIRONMENT_TYPES;
const ENV_NAMES: Record<EnvironmentType, string[]> = { prod: ['prod', 'prod-eu'], staging: ['staging', 'uat'], dev: ['dev', 'sandbox'] };

function inputs(n: number): RenderInput[] {
  return Array.from({ length: n }, (_, i) => {
    const type = TYPES[i % 3]!;
    return {
      tenant: { slug: `tenant-${String(Math.floor(i / 3)).padStart(5, '0')}`, name: `Customer ${i}`, tier: TIERS[Math.floor(i / 3) % 3]! },
      environment: { name: ENV_NAMES[type][Math.floor(i / 9) % 2]!, type, values: { maxUploadMb: 1 + (i % 200), features: { beta: i % 2 === 0, search: i % 5 === 0 } } },
      blueprint: blueprints[i % 4 === 0 ? 1 : 0]!,
      placement: { cluster: `fp-${1 + (i % 3)}` },
    };
  });
}

async function helmBinary(): Promise<string> {
  const { binaryPath } = await import('../testbed/index.ts');
  return binaryPath('helm'); // throws naming "npm run testbed -- build" when helm is not built yet
}

interface Totals { ms: number; cpuMs: number; objects: number; envs: number }
const zero = (): Totals => ({ ms: 0, cpuMs: 0, objects: 0, envs: 0 });

/** CPU time (user+system) of this process's waited-for children, from /proc (Linux), in ms. */
function childCpuMs(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, USER_HZ = 100
  } catch {
    return null;
  }
}

/**
 * Environments per renderEnvironments call. The stencil caches live across calls, so this only
 * decides how many results are alive at once. One measures the path itself, as the engine and a
 * streaming consumer see it; holding results alive costs the garbage collector, not the renderer
 * (batches of 10 measured 25-45% more CPU than 1, batches of 100 more again, all of it in GC).
 */
const CHUNK = 1;

type Renderer = (list: RenderInput[], peak: { heap: number }) => number;

/** The bulk API: per-shape stencils (src/render/bulk/). Returns the number of objects. */
const bulk: Renderer = (list, peak) => {
  let objects = 0;
  for (let i = 0; i < list.length; i += CHUNK) {
    for (const r of renderEnvironments(list.slice(i, i + CHUNK))) objects += r.objects.length;
    if (i % 1000 < CHUNK) peak.heap = Math.max(peak.heap, process.memoryUsage().heapUsed);
  }
  return objects;
};

/** One environment at a time: the direct build (what the engine's render step runs). */
const direct: Renderer = (list, peak) => {
  let objects = 0;
  for (let i = 0; i < list.length; i++) {
    objects += renderEnvironment(list[i]!).objects.length;
    if ((i & 1023) === 0) peak.heap = Math.max(peak.heap, process.memoryUsage().heapUsed);
  }
  return objects;
};

function measure(render: Renderer, list: RenderInput[], peak: { heap: number }): Totals {
  const c0 = process.cpuUsage();
  const start = performance.now();
  const objects = render(list, peak);
  const ms = performance.now() - start;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, objects, envs: list.length };
}

function add(t: Totals, s: Totals): void {
  t.ms += s.ms;
  t.cpuMs += s.cpuMs;
  t.objects += s.objects;
  t.envs += s.envs;
}

interface DirectSlice extends Totals { heap: number }

/**
 * The direct build runs in a child process, interleaved with the rest: its own heap, so neither
 * path's garbage is collected on the other's clock (in one heap, the direct build's ~80 KB of
 * serialized objects per environment made the bulk path's GC cost 30% more).
 */
function directChildMain(): void {
  const list = inputs(ENVS);
  const peak = { heap: 0 };
  for (const input of inputs(500)) renderEnvironment(input); // warm up
  process.on('message', (m: SliceJob | 'exit') => {
    if (m === 'exit') process.exit(0);
    process.send!({ ...measure(direct, list.slice(m.start, m.end), peak), heap: peak.heap } satisfies DirectSlice);
  });
  process.send!('ready');
}

async function startDirectChild(): Promise<{ slice(job: SliceJob): Promise<DirectSlice>; stop(): void }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--direct-child'], { execArgv: ['--import', 'tsx', '--expose-gc'] });
  await new Promise((resolve, reject) => { child.once('message', resolve); child.once('error', reject); });
  return {
    slice: (job) => new Promise((resolve, reject) => {
      child.once('message', (m) => resolve(m as DirectSlice));
      child.once('error', reject);
      child.send(job);
    }),
    stop: () => { child.send('exit'); },
  };
}

async function helmSlice(helm: string, chart: string, list: RenderInput[], t: Totals): Promise<void> {
  const c0 = childCpuMs();
  const start = performance.now();
  for (const input of list) {
    const ns = `${input.tenant.slug}-${input.environment.name}`;
    const set = `tenant=${input.tenant.slug},environment=${input.environment.name},hostname=${input.environment.name}.${input.tenant.slug}.fleetplane.example.com`;
    const { stdout } = await run(helm, ['template', 'acme', chart, '--namespace', ns, '--set', set], { maxBuffer: 64 * 2 ** 20 });
    createHash('sha256').update(stdout).digest('hex');
    t.objects += stdout.split('\n---').length;
  }
  t.ms += performance.now() - start;
  const c1 = childCpuMs();
  t.cpuMs += c0 !== null && c1 !== null ? c1 - c0 : Number.NaN;
  t.envs += list.length;
}

/**
 * The machine is shared, so load changes over a run. Both Fleetplane paths and helm are measured
 * interleaved in ROUNDS slices (a tenth of the environments in bulk, the same tenth directly, then a
 * few helm runs, ...) so all see the same load, and CPU time is reported next to wall time.
 */
const ROUNDS = 10;

interface SliceJob { start: number; end: number }
interface SliceDone { envs: number; objects: number }

/** Worker thread: warm up, say ready, render its slice when told to, report counts. */
function workerMain(): void {
  const { start, end } = workerData as SliceJob;
  const slice = inputs(end).slice(start);
  renderEnvironments(inputs(500));
  parentPort!.postMessage('ready');
  parentPort!.once('message', () => {
    let objects = 0;
    for (let i = 0; i < slice.length; i += 500) for (const r of renderEnvironments(slice.slice(i, i + 500))) objects += r.objects.length;
    parentPort!.postMessage({ envs: slice.length, objects } satisfies SliceDone);
  });
}

/** All ENVS environments split across n warmed-up worker threads: wall and whole-process CPU time. */
async function parallelRun(n: number): Promise<{ ms: number; cpuMs: number; envs: number; objects: number }> {
  // Workers do not inherit the tsx loader: a tiny ESM entry registers it, then imports this file.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)});`;
  const workers = Array.from({ length: n }, (_, k) => new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), {
    workerData: { start: Math.floor((k * ENVS) / n), end: Math.floor(((k + 1) * ENVS) / n) } satisfies SliceJob,
  }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
    const c0 = process.cpuUsage();
    const start = performance.now();
    const done = await Promise.all(workers.map((w) => new Promise<SliceDone>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage('go');
    })));
    const ms = performance.now() - start;
    const c = process.cpuUsage(c0);
    return { ms, cpuMs: (c.user + c.system) / 1000, envs: done.reduce((a, d) => a + d.envs, 0), objects: done.reduce((a, d) => a + d.objects, 0) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function main(): Promise<void> {
  const list = inputs(ENVS);
  renderEnvironments(inputs(500)); // warm up the JIT, Ajv validators, template cache, stencils
  const directChild = await startDirectChild();
  (globalThis as { gc?: () => void }).gc?.();
  const helm = await helmBinary();
  const { stdout: version } = await run(helm, ['version', '--short']);
  const dir = mkdtempSync(join(tmpdir(), 'fp-render-bench-'));
  try {
    const chartObjects = generateChart(dir);
    const step = Math.max(1, Math.floor(ENVS / HELM_RUNS));
    const sample = list.filter((_, i) => i % step === 0).slice(0, HELM_RUNS);
    await helmSlice(helm, dir, sample.slice(0, 2), zero()); // warm the page cache
    const fp = zero();
    const dr = zero();
    const hm = zero();
    const peak = { heap: 0 };
    let directHeap = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const job = { start: Math.floor((r * ENVS) / ROUNDS), end: Math.floor(((r + 1) * ENVS) / ROUNDS) };
      add(fp, measure(bulk, list.slice(job.start, job.end), peak));
      const d = await directChild.slice(job);
      add(dr, d);
      directHeap = Math.max(directHeap, d.heap);
      await helmSlice(helm, dir, sample.slice(Math.floor((r * sample.length) / ROUNDS), Math.floor(((r + 1) * sample.length) / ROUNDS)), hm);
    }
    directChild.stop();
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const par = WORKERS > 1 ? await parallelRun(WORKERS) : null;
    const fpPerEnv = fp.ms / fp.envs;
    const drPerEnv = dr.ms / dr.envs;
    const helmPerEnv = hm.ms / hm.envs;
    console.log(`fleetplane, renderEnvironment (direct build, child process): ${dr.envs} environments in ${(dr.ms / 1000).toFixed(2)} s wall, ${(dr.cpuMs / 1000).toFixed(2)} s CPU (${drPerEnv.toFixed(3)} ms/env), peak heap ${(directHeap / 2 ** 20).toFixed(0)} MB`);
    console.log(`fleetplane, renderEnvironments (bulk, stencils): ${fp.envs} environments in ${(fp.ms / 1000).toFixed(2)} s wall, ${(fp.cpuMs / 1000).toFixed(2)} s CPU (${fpPerEnv.toFixed(3)} ms/env, ${(fp.objects / fp.envs).toFixed(1)} objects/env), peak RSS ${peakRssMb.toFixed(0)} MB, peak heap ${(peak.heap / 2 ** 20).toFixed(0)} MB`);
    console.log(`helm template (${version.trim()}): ${hm.envs} environments, ${helmPerEnv.toFixed(1)} ms/env wall, ${(hm.cpuMs / hm.envs).toFixed(1)} ms/env CPU, ${chartObjects} objects/env`);
    if (par) console.log(`fleetplane, ${WORKERS} worker threads: ${par.envs} environments in ${(par.ms / 1000).toFixed(2)} s wall, ${(par.cpuMs / 1000).toFixed(2)} s CPU (whole process), peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log(JSON.stringify({
      bench: 'render', metric: 'render_ms_per_env', value: Number(fpPerEnv.toFixed(4)), unit: 'ms',
      baseline: 'helm template', baseline_value: Number(helmPerEnv.toFixed(2)), ratio: Number((helmPerEnv / fpPerEnv).toFixed(1)),
      cpu_ms_per_env: Number((fp.cpuMs / fp.envs).toFixed(4)), helm_cpu_ms_per_env: Number((hm.cpuMs / hm.envs).toFixed(2)),
      cpu_ratio: Number((hm.cpuMs / hm.envs / (fp.cpuMs / fp.envs)).toFixed(1)),
      direct_ms_per_env: Number(drPerEnv.toFixed(4)), direct_cpu_ms_per_env: Number((dr.cpuMs / dr.envs).toFixed(4)),
      direct_ratio: Number((helmPerEnv / drPerEnv).toFixed(1)), direct_total_s_10k: Number(((drPerEnv * 10_000) / 1000).toFixed(2)),
      direct_vs_bulk_cpu: Number((dr.cpuMs / dr.envs / (fp.cpuMs / fp.envs)).toFixed(2)),
      envs: fp.envs, envs_per_s: Math.round(fp.envs / (fp.ms / 1000)), total_s_10k: Number(((fpPerEnv * 10_000) / 1000).toFixed(2)),
      peak_rss_mb: Math.round(peakRssMb), peak_heap_mb: Math.round(peak.heap / 2 ** 20), objects_per_env: Number((fp.objects / fp.envs).toFixed(1)),
      parallel_workers: par ? WORKERS : 0, parallel_wall_s: par ? Number((par.ms / 1000).toFixed(2)) : null,
      parallel_cpu_ms_per_env: par ? Number((par.cpuMs / par.envs).toFixed(4)) : null, parallel_envs: par?.envs ?? 0,
      helm_runs: hm.envs, helm_version: version.trim(), load_avg_1m: Number(loadavg()[0]!.toFixed(1)), target: '10k envs < 3 s and ratio >= 50',
      meets_target: (fpPerEnv * 10_000) / 1000 < 3 && helmPerEnv / fpPerEnv >= 50,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--direct-child')) directChildMain();
else if (isMainThread) await main();
else workerMain();
