// `npm run bench -- preview`: the what-if preview of a rollout over 10,000 environments (issue #21 goal:
// under 3 s wall; the row's value is the wall time, CPU is a figure next to it). Every environment
// runs blueprints/default 1.4.0 (rendered beforehand, as the stored revisions would be) and the
// preview plans the rollout to 1.5.0: wave plan, skips (1% pinned, 1%
// self-managed), maintenance-window holds, rendering the target release for every touched environment
// and the per-object field diff and request deltas. The preview as shipped renders the target
// without hashes (renderEnvironmentObjects) and compares objects by content; the straightforward one
// (renderEnvironments, hashes compared) runs in the same process, and the two results are checked equal.
// Baseline in the same run: rendering the same target revisions alone (renderEnvironments), kept from
// before the shipped path stopped hashing; next to it the raw floor of the shipped path, rendering the
// objects without hashes alone. PREVIEW_BENCH_ENVS changes the count.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import { ENVIRONMENT_TYPES, TIERS, type EnvironmentType } from '../src/domain/types.ts';
import { previewRollout, type PreviewEnvironment, type PreviewInput } from '../src/plan/rollout-preview.ts';
import { DEFAULT_STRATEGY } from '../src/plan/rollout-waves.ts';
import { renderEnvironmentObjects, renderEnvironments, type RenderInput } from '../src/render/index.ts';
import { renderEnvironmentTargets } from '../src/render/bulk/fused.ts';

const ENVS = Number(process.env.PREVIEW_BENCH_ENVS ?? 10_000);
/** PREVIEW_BENCH_JSONB=1: the stored objects' keys in the order PostgreSQL's jsonb returns them (shorter first), as the store gives them. */
const JSONB = process.env.PREVIEW_BENCH_JSONB === '1';

function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])]));
}
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

// Built in chunks and dropped: the process then holds what the engine holds before a preview (the
// parsed current objects), not also every rendered revision's JSON text, which made each young
// collection slower (its cost grows with the heap).
const envs: PreviewEnvironment[] = [];
for (let c = 0; c < ENVS; c += 500) envs.push(...renderEnvironments(Array.from({ length: Math.min(500, ENVS - c) }, (_, k) => input(c + k, from))).map((r, k): PreviewEnvironment => {
  const i = c + k;
  const inp = input(i, from);
  const labels: Record<string, string> = i % 100 === 7 ? { [`pin.fleetplane.io/${inp.environment.name}`]: '1.4.0' } : {};
  return {
    tenant: inp.tenant.slug, environment: inp.environment.name, envType: inp.environment.type, cluster: inp.placement.cluster, version: '1.4.0',
    tenantLabels: labels, tier: inp.tenant.tier, channel: i % 100 === 13 ? 'self-managed' : 'saas',
    ...(i % 10 === 3 ? { maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60 } } : {}),
    // As the store returns them (parsed JSON): nothing shared between environments.
    current: JSON.parse(JSON.stringify(JSONB ? jsonbOrder(r.objects) : r.objects)) as typeof r.objects,
  };
}));
const index = new Map(envs.map((e, i) => [`${e.tenant}/${e.environment}`, i]));
const targetInputs = (xs: readonly PreviewEnvironment[]): RenderInput[] => xs.map((e) => input(index.get(`${e.tenant}/${e.environment}`)!, to));

const strategy = { ...DEFAULT_STRATEGY, canary: { count: 10 } };
const now = new Date(Date.UTC(2026, 11, 2, 12));
type Render = PreviewInput['render'];
/** The shipped path (src/engine/rollouts/preview.ts): the target release rendered without hashes, objects compared by content. */
const fastRender: Render = (xs) => renderEnvironmentObjects(targetInputs(xs)).map((objects) => objects.map((object) => ({ object })));
/** The fused walk (ADR 2110): each target left as its shape's stencil tree and slot values, the stored objects walked against it, nothing filled. */
const fusedRender: Render = (xs) => renderEnvironmentTargets(targetInputs(xs));
/** The straightforward path: renderEnvironments (hashes, revision ids), unchanged objects found by equal hashes. */
const hashedRender: Render = (xs) => renderEnvironments(targetInputs(xs)).map((r) => r.objects);
const previewWith = (render: Render, environments = envs) => previewRollout({ environments, selector: {}, strategy, version: '1.5.0', now, render });

function timed<T>(f: () => T): { value: T; s: number; cpuS: number } {
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = f();
  const s = seconds(t0);
  const c = process.cpuUsage(c0);
  return { value, s, cpuS: (c.user + c.system) / 1e6 };
}

// Warm every path the same way (stencils per shape, JIT) before any is timed.
renderEnvironments(targetInputs(envs.slice(0, 60)));
renderEnvironmentObjects(targetInputs(envs.slice(0, 60)));
previewWith(fastRender, envs.slice(0, 60));
previewWith(fusedRender, envs.slice(0, 60));
previewWith(hashedRender, envs.slice(0, 60));

// Interleaved in one run (the machine may be loaded): the preview as shipped, the straightforward
// preview, the baseline (renderEnvironments alone) and the raw floor of the shipped path (rendering
// the objects without hashes alone, no diff).
const touched = envs.filter((_, i) => i % 100 !== 7 && i % 100 !== 13);
const fused = timed(() => previewWith(fusedRender));
const fast = timed(() => previewWith(fastRender));
const hashed = timed(() => previewWith(hashedRender));
const render = timed(() => renderEnvironments(targetInputs(touched)).length);
const floor = timed(() => renderEnvironmentObjects(targetInputs(touched)).length);
// Not timed: the two previews are the same.
assert.deepEqual(fast.value, hashed.value, 'the unhashed preview differs from the hashed one');
assert.deepEqual(fused.value, hashed.value, 'the fused preview differs from the hashed one');

const preview = fused.value;
const previewS = fused.s;
const renderS = render.s;
const perEnv = (x: { cpuS: number }): number => Number(((x.cpuS * 1000) / ENVS).toFixed(3));
const t = preview.totals;
const load = Number(loadavg()[0]!.toFixed(1));
console.log(`preview of ${ENVS} environments (fused walk): ${previewS.toFixed(2)} s (CPU ${fused.cpuS.toFixed(2)} s, ${perEnv(fused)} ms/env); ${t.environments} touched in ${preview.waves.length} waves, ${preview.skipped.length} skipped, `
  + `${preview.environments.filter((e) => e.heldByMaintenanceWindow).length} held by a window; objects +${t.added} ~${t.changed} -${t.removed}; `
  + `requests cpu ${t.requests.cpuMillis}m, memory ${(t.requests.memoryBytes / 2 ** 30).toFixed(1)}Gi, gpus ${t.requests.gpus}; `
  + `generic walk (renderEnvironmentObjects) ${fast.s.toFixed(2)} s (CPU ${fast.cpuS.toFixed(2)} s, ${perEnv(fast)} ms/env, same result); `
  + `hashed preview ${hashed.s.toFixed(2)} s (CPU ${hashed.cpuS.toFixed(2)} s, ${perEnv(hashed)} ms/env, same result); `
  + `render alone ${renderS.toFixed(2)} s (CPU ${render.cpuS.toFixed(2)} s); render without hashes alone ${floor.s.toFixed(2)} s (CPU ${floor.cpuS.toFixed(2)} s); stored keys in ${JSONB ? 'jsonb' : 'canonical'} order; load ${load}`);
console.log(JSON.stringify({
  bench: 'preview', metric: 'preview_seconds_10k', value: Number(previewS.toFixed(3)), unit: 's',
  baseline: 'renderEnvironments of the same target revisions alone', baseline_value: Number(renderS.toFixed(3)), ratio: Number((previewS / renderS).toFixed(3)),
  envs: ENVS, stored_key_order: JSONB ? 'jsonb' : 'canonical', touched: t.environments, skipped: preview.skipped.length, waves: preview.waves.length, objects_added: t.added, objects_changed: t.changed, objects_removed: t.removed,
  // Issue #21's goal is the wall time of the preview ("10,000 environments in under 3 s"); CPU is reported next to it.
  cpu_seconds: Number(fused.cpuS.toFixed(3)), cpu_ms_per_env: perEnv(fused), load_avg_1m: load, target_s: 3,
  target: '< 3 s wall for 10,000 environments (CPU reported too)', meets_target: previewS < 3,
  figures: [
    { name: 'preview, fused walk, wall s', value: Number(previewS.toFixed(3)), unit: 's', baseline: 'preview, generic walk (renderEnvironmentObjects, objects compared by content), wall s', baseline_value: Number(fast.s.toFixed(3)) },
    { name: 'preview, fused walk, CPU s', value: Number(fused.cpuS.toFixed(3)), unit: 's', baseline: 'preview, generic walk, CPU s', baseline_value: Number(fast.cpuS.toFixed(3)) },
    { name: 'preview, straightforward path (renderEnvironments, hashes compared), CPU s', value: Number(hashed.cpuS.toFixed(3)), unit: 's', baseline: 'preview, fused walk, CPU s', baseline_value: Number(fused.cpuS.toFixed(3)) },
    { name: 'render without hashes alone (renderEnvironmentObjects: the floor of the shipped path, no diff), CPU s', value: Number(floor.cpuS.toFixed(3)), unit: 's', baseline: 'renderEnvironments alone, CPU s', baseline_value: Number(render.cpuS.toFixed(3)) },
  ],
  note: 'CPU seconds are the process\'s (all threads); wall seconds depend on the load. The fused, the generic and the straightforward preview are checked equal in the same run.',
}));
