// `npm run bench -- preview`: the what-if preview of a rollout over 10,000 environments (issue #21 goal:
// under 3 s). Every environment runs blueprints/default 1.4.0 (rendered beforehand, as the stored
// revisions would be) and the preview plans the rollout to 1.5.0: wave plan, skips (1% pinned, 1%
// self-managed), maintenance-window holds, rendering the target release for every touched environment
// and the per-object field diff and request deltas. Baseline in the same run: rendering the same
// target revisions alone (renderEnvironments), the floor any preview that renders must pay.
// PREVIEW_BENCH_ENVS changes the count.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import { ENVIRONMENT_TYPES, TIERS, type EnvironmentType } from '../src/domain/types.ts';
import { previewRollout, type PreviewEnvironment } from '../src/plan/rollout-preview.ts';
import { DEFAULT_STRATEGY } from '../src/plan/rollout-waves.ts';
import { renderEnvironments, type RenderInput } from '../src/render/index.ts';

const ENVS = Number(process.env.PREVIEW_BENCH_ENVS ?? 10_000);
const root = join(import.meta.dirname, '..');
const [from, to] = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));
const NAMES: Record<EnvironmentType, string> = { prod: 'prod', staging: 'staging', dev: 'dev' };

function input(i: number, blueprint: typeof from): RenderInput {
  const type = ENVIRONMENT_TYPES[i % 3]!;
  return {
    tenant: { slug: `tenant-${String(Math.floor(i / 3)).padStart(5, '0')}`, name: `Customer ${i}`, tier: TIERS[Math.floor(i / 3) % 3]! },
    environment: { name: NAMES[type], type, values: { maxUploadMb: 1 + (i % 200), features: { beta: i % 2 === 0, search: i % 5 === 0 } } },
    blueprint: blueprint!,
    placement: { cluster: `fp-${1 + (i % 3)}` },
  };
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

const current = renderEnvironments(Array.from({ length: ENVS }, (_, i) => input(i, from)));
const envs: PreviewEnvironment[] = current.map((r, i) => {
  const inp = input(i, from);
  const labels: Record<string, string> = i % 100 === 7 ? { [`pin.fleetplane.io/${inp.environment.name}`]: '1.4.0' } : {};
  return {
    tenant: inp.tenant.slug, environment: inp.environment.name, envType: inp.environment.type, cluster: inp.placement.cluster, version: '1.4.0',
    tenantLabels: labels, tier: inp.tenant.tier, channel: i % 100 === 13 ? 'self-managed' : 'saas',
    ...(i % 10 === 3 ? { maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60 } } : {}),
    current: r.objects,
  };
});
const index = new Map(envs.map((e, i) => [`${e.tenant}/${e.environment}`, i]));
const targetInputs = (xs: readonly PreviewEnvironment[]): RenderInput[] => xs.map((e) => input(index.get(`${e.tenant}/${e.environment}`)!, to));

// Warm both paths the same way (stencils per shape, JIT) before either is timed.
renderEnvironments(targetInputs(envs.slice(0, 60)));
previewRollout({ environments: envs.slice(0, 60), selector: {}, strategy: DEFAULT_STRATEGY, version: '1.5.0', now: new Date(0), render: (xs) => renderEnvironments(targetInputs(xs)).map((r) => r.objects) });
globalThis.gc?.();
let t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const preview = previewRollout({
  environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 10 } }, version: '1.5.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
  render: (xs) => renderEnvironments(targetInputs(xs)).map((r) => r.objects),
});
const previewS = seconds(t0);
const cpu = process.cpuUsage(cpu0);

const touched = envs.filter((_, i) => i % 100 !== 7 && i % 100 !== 13);
globalThis.gc?.();
t0 = process.hrtime.bigint();
renderEnvironments(targetInputs(touched));
const renderS = seconds(t0);

const t = preview.totals;
console.log(`preview of ${ENVS} environments: ${previewS.toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s); ${t.environments} touched in ${preview.waves.length} waves, ${preview.skipped.length} skipped, `
  + `${preview.environments.filter((e) => e.heldByMaintenanceWindow).length} held by a window; objects +${t.added} ~${t.changed} -${t.removed}; `
  + `requests cpu ${t.requests.cpuMillis}m, memory ${(t.requests.memoryBytes / 2 ** 30).toFixed(1)}Gi, gpus ${t.requests.gpus}; render alone ${renderS.toFixed(2)} s; load ${loadavg()[0]!.toFixed(1)}`);
console.log(JSON.stringify({
  bench: 'preview', metric: 'preview_seconds_10k', value: Number(previewS.toFixed(3)), unit: 's',
  baseline: 'renderEnvironments of the same target revisions alone', baseline_value: Number(renderS.toFixed(3)), ratio: Number((previewS / renderS).toFixed(3)),
  envs: ENVS, touched: t.environments, skipped: preview.skipped.length, waves: preview.waves.length, objects_added: t.added, objects_changed: t.changed, objects_removed: t.removed,
  cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)), load_avg_1m: Number(loadavg()[0]!.toFixed(1)), target_s: 3,
  target: '< 3 s CPU for 10,000 environments', meets_target: (cpu.user + cpu.system) / 1e6 < 3,
}));
