// Render benchmark: render + hash 10,000 environments of the default blueprint (mixed tiers, env
// types, values and both releases), against `helm template` of the equivalent chart
// (bench/helm-chart, regenerated from the renderer on every run) for a sample of environments.
// Prints progress, then one JSON line (DESIGN.md): ratio = helm ms per env / Fleetplane ms per env.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import type { EnvironmentType, Tier } from '../src/domain/types.ts';
import { renderEnvironment, type RenderInput } from '../src/render/index.ts';
import { generateChart } from './helm-chart/generate.ts';

const ENVS = Number(process.env.RENDER_BENCH_ENVS ?? 10_000);
const HELM_RUNS = Number(process.env.RENDER_BENCH_HELM_RUNS ?? 30);
const root = join(import.meta.dirname, '..');
const run = promisify(execFile);

const blueprints = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));
const TIERS: Tier[] = ['shared', 'dedicated', 'hybrid'];
const TYPES: EnvironmentType[] = ['prod', 'staging', 'dev'];
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
  try {
    const { binaryPath } = await import('../testbed/index.ts');
    return binaryPath('helm');
  } catch {
    const fallback = join(homedir(), '.cache/fleetplane/testbed/helm-3.16.4/helm');
    if (existsSync(fallback)) return fallback;
    throw new Error('helm is not built; run "npm run testbed -- build" (helm is built from Go modules there)');
  }
}

function renderAll(list: RenderInput[]): { ms: number; objects: number; peakHeapMb: number } {
  let objects = 0;
  let peakHeap = 0;
  const start = performance.now();
  for (let i = 0; i < list.length; i++) {
    objects += renderEnvironment(list[i]!).objects.length;
    if ((i & 1023) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  return { ms: performance.now() - start, objects, peakHeapMb: Math.max(peakHeap, process.memoryUsage().heapUsed) / 2 ** 20 };
}

async function helmAll(helm: string, chart: string, list: RenderInput[]): Promise<{ ms: number; objects: number }> {
  let objects = 0;
  const start = performance.now();
  for (const input of list) {
    const ns = `${input.tenant.slug}-${input.environment.name}`;
    const set = `tenant=${input.tenant.slug},environment=${input.environment.name},hostname=${input.environment.name}.${input.tenant.slug}.fleetplane.example.com`;
    const { stdout } = await run(helm, ['template', 'acme', chart, '--namespace', ns, '--set', set], { maxBuffer: 64 * 2 ** 20 });
    createHash('sha256').update(stdout).digest('hex');
    objects += stdout.split('\n---').length;
  }
  return { ms: performance.now() - start, objects };
}

async function main(): Promise<void> {
  const list = inputs(ENVS);
  renderAll(inputs(500)); // warm up the JIT, Ajv validators and template cache
  (globalThis as { gc?: () => void }).gc?.();
  const fp = renderAll(list);
  const fpPerEnv = fp.ms / ENVS;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`fleetplane: ${ENVS} environments in ${(fp.ms / 1000).toFixed(2)} s (${fpPerEnv.toFixed(3)} ms/env, ${(fp.objects / ENVS).toFixed(1)} objects/env), peak RSS ${peakRssMb.toFixed(0)} MB, peak heap ${fp.peakHeapMb.toFixed(0)} MB`);

  const helm = await helmBinary();
  const { stdout: version } = await run(helm, ['version', '--short']);
  const dir = mkdtempSync(join(tmpdir(), 'fp-render-bench-'));
  try {
    const chartObjects = generateChart(dir);
    const sample = list.filter((_, i) => i % Math.floor(ENVS / HELM_RUNS) === 0).slice(0, HELM_RUNS);
    await helmAll(helm, dir, sample.slice(0, 2)); // warm the page cache
    const h = await helmAll(helm, dir, sample);
    const helmPerEnv = h.ms / sample.length;
    console.log(`helm template (${version.trim()}): ${sample.length} environments, ${helmPerEnv.toFixed(1)} ms/env, ${chartObjects} objects/env`);
    console.log(JSON.stringify({
      bench: 'render', metric: 'render_ms_per_env', value: Number(fpPerEnv.toFixed(4)), unit: 'ms',
      baseline: 'helm template', baseline_value: Number(helmPerEnv.toFixed(2)), ratio: Number((helmPerEnv / fpPerEnv).toFixed(1)),
      envs: ENVS, envs_per_s: Math.round(ENVS / (fp.ms / 1000)), total_s_10k: Number(((fpPerEnv * 10_000) / 1000).toFixed(2)),
      peak_rss_mb: Math.round(peakRssMb), peak_heap_mb: Math.round(fp.peakHeapMb), objects_per_env: Number((fp.objects / ENVS).toFixed(1)),
      helm_runs: sample.length, helm_version: version.trim(), target: '10k envs < 3 s and ratio >= 50',
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
