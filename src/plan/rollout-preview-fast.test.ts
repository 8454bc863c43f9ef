// The preview's fast path (target rendered without hashes, objects compared by content) gives the
// same preview as the straightforward one (renderEnvironments, hashes compared), on a varied fleet:
// environments with changed, added, removed and unchanged objects, stored objects whose keys come back
// in another order (as PostgreSQL's jsonb returns them), pinned, self-managed and window-held ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBlueprint } from '../domain/blueprint.ts';
import { ENVIRONMENT_TYPES, LABELS, TIERS, type KubeObject, type RenderedObject } from '../domain/types.ts';
import { renderEnvironmentObjects, renderEnvironments, type RenderInput } from '../render/index.ts';
import { renderEnvironmentTargets } from '../render/bulk/fused.ts';
import { diffObjects, previewRollout, sameContent, type EnvironmentPreview, type PreviewEnvironment, type RolloutPreview, type TargetObject } from './rollout-preview.ts';
import { DEFAULT_STRATEGY } from './rollout-waves.ts';

const root = join(import.meta.dirname, '..', '..');
const [v14, v15] = ['1.4.0', '1.5.0'].map((v) => parseBlueprint(readFileSync(join(root, `blueprints/default/${v}.yaml`), 'utf8')));

function input(i: number, blueprint: typeof v14, maxUploadMb = 1 + (i % 7)): RenderInput {
  const type = ENVIRONMENT_TYPES[i % 3]!;
  return {
    tenant: { slug: `t-${String(Math.floor(i / 3)).padStart(3, '0')}`, name: `Customer ${i}`, tier: TIERS[Math.floor(i / 3) % 3]! },
    environment: { name: type, type, values: { maxUploadMb, features: { beta: i % 2 === 0, search: i % 5 === 0 } } },
    blueprint: blueprint!,
    placement: { cluster: `c-${1 + (i % 2)}` },
  };
}

/** A deep copy with every object's keys in jsonb order (shorter first, then bytewise). */
function jsonbOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrder);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((v as Record<string, unknown>)[k])]));
}

const N = 36;

/** What each environment runs now: a mix that makes every kind of object difference. */
function currentOf(i: number): RenderedObject[] | null {
  const kind = i % 9;
  if (kind === 8) return null; // never rendered: everything added
  const from = kind === 0 || kind === 1 ? v15 : v14; // 0, 1: already rendered from the target's objects
  const objects = renderEnvironments([input(i, from, kind === 1 ? 999 : undefined)])[0]!.objects;
  const stored = objects.map((o) => ({ object: jsonbOrder(o.object) as KubeObject, hash: o.hash }));
  if (kind === 2) return stored.slice(0, -3); // the target adds three objects
  if (kind === 3) {
    const extra: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: stored[0]!.object.metadata.name, labels: { [LABELS.revision]: 'r' } }, data: { a: '1' } };
    return [...stored, { object: extra, hash: 'f'.repeat(64) }]; // the target removes one
  }
  if (kind === 4) return stored.filter((_, n) => n % 2 === 0); // every other object added
  return stored;
}

type Mode = 'hashed' | 'fast' | 'fused';
/** The three ways to render the targets: hashes compared, objects compared by content, stencils walked without filling (render/bulk/fused.ts). */
function renderAs(mode: Mode, inputs: RenderInput[]): TargetObject[][] {
  if (mode === 'hashed') return renderEnvironments(inputs).map((r) => r.objects);
  if (mode === 'fast') return renderEnvironmentObjects(inputs).map((objects) => objects.map((object) => ({ object })));
  return renderEnvironmentTargets(inputs);
}

function preview(envs: readonly PreviewEnvironment[], mode: Mode): RolloutPreview {
  const byKey = new Map(envs.map((e, i) => [`${e.tenant}/${e.environment}`, i]));
  const targets = (xs: readonly PreviewEnvironment[]) => xs.map((e) => input(byKey.get(`${e.tenant}/${e.environment}`)!, v15));
  return previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 2 } }, version: '1.5.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    render: (xs) => renderAs(mode, targets(xs)),
  });
}

test('fast preview (no hashes, compared by content) equals the hashed one on a varied fleet', () => {
  const envs = Array.from({ length: N }, (_, i): PreviewEnvironment => {
    const inp = input(i, v14);
    const tenantLabels: Record<string, string> = i === 5 ? { 'pin.fleetplane.io/staging': '1.4.0' } : {};
    return {
      tenant: inp.tenant.slug, environment: inp.environment.name, envType: inp.environment.type, cluster: inp.placement.cluster,
      version: i === 27 ? '1.5.0' : '1.4.0', tenantLabels,
      tier: inp.tenant.tier, channel: i % 11 === 6 ? 'self-managed' : 'saas',
      ...(i % 4 === 1 ? { maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60 } } : {}),
      current: currentOf(i),
    };
  });
  const straight = preview(envs, 'hashed');
  assert.deepEqual(preview(envs, 'fast'), straight);
  assert.deepEqual(preview(envs, 'fused'), straight);
  // The fleet does exercise every case.
  const t = straight.totals;
  assert.ok(t.added > 0 && t.changed > 0 && t.removed > 0, JSON.stringify(t));
  assert.ok(straight.environments.some((e) => e.unchanged > 0 && e.changed.length === 0), 'an environment already on the target objects');
  assert.ok(straight.environments.some((e) => e.unchanged > 0 && e.changed.length > 0), 'unchanged next to changed objects');
  assert.ok(straight.skipped.length > 0 && straight.environments.some((e) => e.heldByMaintenanceWindow) && straight.environments.some((e) => e.delivery === 'publish'));
  assert.ok(new Set(straight.environments.map((e) => e.tenant)).size > 5, 'many tenants');
});

test('sameContent: key order and the revision label do not count, undefined members are absent, anything else does', () => {
  const a: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'n', labels: { [LABELS.revision]: 'r1', app: 'a' } }, data: { k: '1', l: '2' } };
  const b = { kind: 'ConfigMap', apiVersion: 'v1', data: { l: '2', k: '1', m: undefined }, metadata: { labels: { app: 'a', [LABELS.revision]: '' }, namespace: 'n', name: 'x' } } as unknown as KubeObject;
  assert.ok(sameContent(a, b));
  assert.ok(!sameContent(a, { ...b, data: { k: '1', l: '3' } } as KubeObject));
  assert.ok(!sameContent(a, { ...b, data: { k: '1' } } as KubeObject));
  assert.ok(!sameContent(a, { ...b, metadata: { ...b.metadata, labels: { app: 'b', [LABELS.revision]: 'r1' } } } as KubeObject));
  // The revision label is ignored only under metadata.labels.
  assert.ok(!sameContent({ ...a, data: { [LABELS.revision]: 'r1' } } as KubeObject, { ...a, data: { [LABELS.revision]: 'r2' } } as KubeObject));
  assert.ok(!sameContent({ ...a, spec: [] } as KubeObject, { ...a, spec: {} } as KubeObject));
  assert.ok(!sameContent({ ...a, spec: [1, 2] } as KubeObject, { ...a, spec: [1] } as KubeObject));
  assert.ok(sameContent({ ...a, spec: [null] } as KubeObject, { ...a, spec: [undefined] } as KubeObject), 'canonical JSON writes an undefined item as null');
  assert.ok(!sameContent({ ...a, spec: { n: 1 } } as KubeObject, { ...a, spec: { n: '1' } } as KubeObject));
  // diffObjects without target hashes: unchanged where the content is the same.
  const d = diffObjects([{ object: a, hash: 'h' }], [{ object: b }]);
  assert.equal(d.unchanged, 1);
  assert.deepEqual(diffObjects([{ object: a, hash: 'h' }], [{ object: { ...a, data: { k: '9', l: '2' } } as KubeObject }]).changed, [{ kind: 'ConfigMap', name: 'x', namespace: 'n', fields: ['/data/k'] }]);
});

test('renderEnvironmentObjects: the objects of renderEnvironments, in order, the revision label blank', () => {
  const inputs = Array.from({ length: 9 }, (_, i) => input(i, v15));
  const hashed = renderEnvironments(inputs);
  renderEnvironmentObjects(inputs).forEach((objects, i) => {
    const want = hashed[i]!.objects.map((o) => ({ ...o.object, metadata: { ...o.object.metadata, labels: { ...o.object.metadata.labels, [LABELS.revision]: '' } } }));
    assert.deepEqual(objects, want, `${inputs[i]!.tenant.slug}/${inputs[i]!.environment.name}`);
  });
});

// Cases that would break a preview that dedupes work by render-input shape or by content (issue #21):
// tenant and environment names that are substrings of other rendered values (image paths, component
// and chart names, label values) or equal to each other, parameters that change config hashes, twin
// environments (same inputs but names) whose current objects differ (one drifted, one missing an
// object), different cluster capabilities (other forms), pins, windows, hibernation and a cluster
// outside the release's Kubernetes range. The fast path must still equal the straightforward one.
interface Spec { slug: string; name: string; type: (typeof ENVIRONMENT_TYPES)[number]; tier: (typeof TIERS)[number]; values: Record<string, unknown>; caps: RenderInput['capabilities'] }
const TWINS = ['tw-a', 'tw-b', 'tw-c'];
const ENV_NAMES = ['prod', 'dev', 'api'];

/** Twins share every input but the tenant; the others vary parameters (config hashes) and capabilities. */
function specOf(slug: string, i: number, j: number): Spec {
  if (TWINS.includes(slug)) return { slug, name: 'prod', type: 'prod', tier: 'shared', values: { maxUploadMb: 5 }, caps: [] };
  const values = { maxUploadMb: 1 + (i % 4), logLevel: (['debug', 'info', 'warn'] as const)[j % 3], ...(i % 3 === 0 ? { cacheMemory: '512Mi' } : {}), ...(i % 5 === 0 ? { modelName: `${slug}-small` } : {}) };
  const name = slug === 'prod' && j === 0 ? 'prod' : ENV_NAMES[(i + j) % 3]!;
  return { slug, name, type: ENVIRONMENT_TYPES[(i + j) % 3]!, tier: TIERS[i % 3]!, values, caps: i % 2 === 0 ? [] : ['keda', 'knative-serving', 'kserve'] };
}

const clusterOf = (s: Spec): string => `c-${s.caps && s.caps.length > 0 ? 'gpu' : 'core'}`;
const specInput = (s: Spec, bp: typeof v14, values = s.values): RenderInput => ({
  tenant: { slug: s.slug, name: `Customer ${s.slug}`, tier: s.tier }, environment: { name: s.name, type: s.type, values }, blueprint: bp!,
  placement: { cluster: clusterOf(s) }, capabilities: s.caps,
});

/** What the n-th environment runs: the previous release, with other parameters for some, the target already for one; twins tw-b (one object differs) and tw-c (one missing). */
function storedOf(s: Spec, n: number): RenderedObject[] {
  const objects = renderEnvironments([specInput(s, n === 3 ? v15 : v14, n % 4 === 1 ? { ...s.values, maxUploadMb: 9 } : s.values)])[0]!.objects
    .map((o) => ({ object: jsonbOrder(o.object) as KubeObject, hash: o.hash }));
  if (s.slug === 'tw-b') return objects.map((o, k) => (k === 1 ? { object: { ...o.object, metadata: { ...o.object.metadata, annotations: { note: 'edited' } } } as KubeObject, hash: 'e'.repeat(64) } : o));
  return s.slug === 'tw-c' ? objects.slice(1) : objects;
}

function pinOf(s: Spec, n: number): Record<string, string> {
  if (n === 5) return { [`pin.fleetplane.io/${s.name}`]: '1.4.0' }; // skipped
  return n === 6 ? { [`pin.fleetplane.io/${s.name}`]: '1.5.0' } : {}; // pinned to the target: rolled
}

test('fast preview equals the hashed one where a dedupe by shape or content would go wrong', () => {
  const slugs = ['api', 'web', 'acme', 'cache', 'prod', 'registry', 'default', 'fleetplane', 'worker', 'example', 'http', 'model', 'reports', ...TWINS];
  const specs = slugs.flatMap((slug, i) => (TWINS.includes(slug) ? [specOf(slug, i, 0)] : [specOf(slug, i, 0), specOf(slug, i, 1)]));
  const envs = specs.map((s, n): PreviewEnvironment => ({
    tenant: s.slug, environment: s.name, envType: s.type, cluster: clusterOf(s), version: n === 3 ? '1.5.0' : '1.4.0', tenantLabels: pinOf(s, n),
    tier: s.tier, channel: n === 8 ? 'self-managed' : 'saas',
    ...(n % 6 === 2 ? { maintenanceWindow: { days: ['sun'], start: '02:00', durationMinutes: 60 } } : {}),
    ...(n % 7 === 4 ? { hibernated: true } : {}),
    clusterVersion: n === 10 ? 'v1.20.0' : 'v1.37.2',
    current: storedOf(s, n),
  }));
  const bySlugName = new Map(specs.map((s) => [`${s.slug}/${s.name}`, s]));
  const run = (mode: Mode): RolloutPreview => previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 3 } }, version: '1.5.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    kubernetes: { min: 'v1.30.0' },
    render: (xs) => {
      const inputs = xs.map((e) => {
        const s = bySlugName.get(`${e.tenant}/${e.environment}`)!;
        return specInput(s, v15, specs.indexOf(s) % 2 === 0 ? { ...s.values, searchEnabled: true } : s.values); // a parameter new in the target
      });
      return renderAs(mode, inputs);
    },
  });
  const straight = run('hashed');
  assert.deepEqual(run('fast'), straight);
  assert.deepEqual(run('fused'), straight);
  // The fleet does hold every case.
  const reasons = straight.skipped.map((s) => s.reason.split(':')[0]);
  assert.ok(reasons.includes('Pinned') && reasons.includes('KubernetesVersion'), JSON.stringify(straight.skipped));
  assert.ok(straight.environments.some((e) => e.tenant === 'prod' && e.environment === 'prod'), 'a tenant named like its environment');
  assert.ok(straight.environments.some((e) => e.hibernated) && straight.environments.some((e) => e.heldByMaintenanceWindow) && straight.environments.some((e) => e.delivery === 'publish'));
  const twin = (slug: string) => straight.environments.find((e) => e.tenant === slug)!;
  const fieldsOf = (e: EnvironmentPreview) => JSON.stringify(e.changed.map((c) => [c.kind, c.name, c.fields]));
  assert.notEqual(fieldsOf(twin('tw-a')).replaceAll('tw-a', ''), fieldsOf(twin('tw-b')).replaceAll('tw-b', ''), 'a drifted twin differs from its twin');
  assert.equal(twin('tw-c').added.length, 1, 'a twin missing an object gets it added');
  assert.equal(twin('tw-a').added.length, 0);
  assert.ok(new Set(straight.environments.filter((e) => e.changed.length > 0).map((e) => JSON.stringify(e.changed.map((c) => c.fields)))).size > 3, 'parameters change other fields');
});

// Capability differences: the same release rendered for clusters with other capabilities takes other
// forms (InferenceService, Knative Service, ScaledObject instead of Deployment and HPA).
test('fast preview equals the hashed one when cluster capabilities change the forms', () => {
  const ai = parseBlueprint(readFileSync(join(root, 'blueprints/ai-platform/1.0.0.yaml'), 'utf8'));
  const CAPS: ReadonlyArray<RenderInput['capabilities']> = [[], ['kserve'], ['knative-serving', 'keda'], ['kserve', 'knative-serving', 'keda', 'kubeflow-trainer']];
  const capsOf = (n: number): RenderInput['capabilities'] => CAPS[n % 4]!;
  const inputOf = (n: number, caps: RenderInput['capabilities']): RenderInput => ({
    tenant: { slug: `ai-${n}`, name: `AI ${n}`, tier: 'shared' }, environment: { name: 'dev', type: 'dev', values: {} }, blueprint: ai, placement: { cluster: `k-${n % 4}` }, capabilities: caps,
  });
  const envs = Array.from({ length: 8 }, (_, n): PreviewEnvironment => ({
    tenant: `ai-${n}`, environment: 'dev', envType: 'dev', cluster: `k-${n % 4}`, version: '0.9.0', tenantLabels: {}, tier: 'shared', channel: 'saas',
    // Rendered when the cluster had no capabilities (or, for odd n, the ones it has now).
    current: renderEnvironments([inputOf(n, n % 2 === 1 ? capsOf(n) : [])])[0]!.objects.map((o) => ({ object: jsonbOrder(o.object) as KubeObject, hash: o.hash })),
  }));
  const run = (mode: Mode): RolloutPreview => previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 1 } }, version: '1.0.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    render: (xs) => {
      const inputs = xs.map((e) => { const n = Number(e.tenant.slice(3)); return inputOf(n, capsOf(n)); });
      return renderAs(mode, inputs);
    },
  });
  const straight = run('hashed');
  assert.deepEqual(run('fast'), straight);
  assert.deepEqual(run('fused'), straight);
  const at = (n: number) => straight.environments.find((e) => e.tenant === `ai-${n}`)!;
  assert.ok(at(1).added.length === 0 && at(1).removed.length === 0 && at(1).changed.length === 0, 'same capabilities: nothing changes');
  assert.ok(at(2).added.length > 0 && at(2).removed.length > 0, 'new capabilities: other forms added, the old ones removed');
  assert.notDeepEqual(new Set(at(2).added.map((a) => a.kind)), new Set(at(2).removed.map((a) => a.kind)));
});

// The fused walk (render/bulk/fused.ts, ADR 2110) against the generic one, object by object, on stored
// objects changed every way a walk against the stencils could get wrong: members missing, extra
// (including names a plain object inherits, and undefined ones), of another type, arrays longer or
// shorter, strings one character off or equal to a slot value or a constant, slotted strings whose
// pieces shift (tenant a-b/env c against tenant a/env b-c: the same namespace), labels dropped, the
// revision label changed, and enough changes to pass the 50-field cut-off.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = unknown;
/** Every container (object or array) in v with the path to it. */
function containers(v: Json, out: Array<{ node: Record<string, Json> | Json[] }> = []): Array<{ node: Record<string, Json> | Json[] }> {
  if (v !== null && typeof v === 'object') {
    out.push({ node: v as Record<string, Json> });
    for (const x of Object.values(v)) containers(x, out);
  }
  return out;
}

function mutate(object: KubeObject, r: () => number, words: readonly string[]): void {
  const all = containers(object);
  const { node } = all[Math.floor(r() * all.length)]!;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (Array.isArray(node)) {
    const m = Math.floor(r() * 5);
    if (m === 0) node.pop();
    else if (m === 1) node.push(pick([null, 'x', { a: 1 }, 0]));
    else if (m === 2 && node.length > 0) node[Math.floor(r() * node.length)] = pick([null, pick(words), [], {}]);
    else if (m === 3) node.length = 0;
    else node.reverse();
    return;
  }
  // The identity (kind, metadata.name, metadata.namespace) stays: objects are paired by it.
  const top = node === (object as unknown) || node === (object.metadata as unknown);
  const keys = Object.keys(node).filter((key) => !top || !['kind', 'metadata', 'name', 'namespace'].includes(key));
  const k = keys.length > 0 ? pick(keys) : 'empty';
  const v = node[k];
  if (top && r() < 0.5) return;
  switch (Math.floor(r() * 10)) {
    case 0: delete node[k]; return;
    case 1: // an own member, as JSON.parse makes one (also for "__proto__")
      Object.defineProperty(node, pick(['extra', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'x/y~z', LABELS.revision, '0']), { value: pick(['v', 1, null, { a: 'b' }, undefined]), enumerable: true, writable: true, configurable: true });
      return;
    case 2: node[k] = typeof v === 'string' ? `${v}x` : 'x'; return;
    case 3: node[k] = typeof v === 'string' ? v.slice(0, -1) : v; return;
    case 4: node[k] = pick(words); return;
    case 5: node[k] = typeof v === 'number' ? String(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v === null ? {} : null; return;
    case 6: node[k] = Array.isArray(v) ? { ...v } : v !== null && typeof v === 'object' ? Object.values(v) : [v]; return;
    case 7: if (typeof v === 'string') node[k] = v.replace(pick(words), pick(words)); return;
    case 8: { // the same members in another order: no difference
      const entries = Object.entries(node).reverse();
      for (const key of Object.keys(node)) delete node[key];
      for (const [key, val] of entries) node[key] = val;
      return;
    }
    default: if (!top && v !== null && typeof v === 'object' && !Array.isArray(v)) for (const key of Object.keys(v)) (v as Record<string, Json>)[key] = `${JSON.stringify((v as Record<string, Json>)[key])}!`;
  }
}

/** The result, or the error's message: a stored object the generic walk fails on must fail the fused walk the same way. */
function outcome<T>(f: () => T): { value: T } | { error: string } {
  try {
    return { value: f() };
  } catch (err) {
    return { error: String(err) };
  }
}

test('the fused walk gives the generic walk\'s fields on every object, however the stored object differs', () => {
  const bp = [v14!, v15!];
  // Tenants and environments whose names are substrings, prefixes or pieces of each other and of constant texts.
  const pairs: Array<[string, string]> = [['a-b', 'c'], ['a', 'b-c'], ['prod', 'prod'], ['web', 'dev'], ['api', 'api'], ['default', 'staging'], ['t', 'prod'], ['tt', 'prod'], ['fleetplane', 'dev'], ['cache', 'web']];
  const words = [...new Set(pairs.flat()), 'a-b-c', 'prod', 'x', '', 'web', 'default', 'a-b-c-prod'];
  const inputOf = ([slug, name]: [string, string], k: number, blueprint = v15!): RenderInput => ({
    tenant: { slug, name: `Customer ${slug}`, tier: TIERS[k % 3]! },
    environment: { name, type: ENVIRONMENT_TYPES[k % 3]!, values: { maxUploadMb: 1 + (k % 3), ...(k % 2 === 0 ? { logLevel: 'debug' } : {}) } },
    blueprint, placement: { cluster: 'c-1' }, capabilities: k % 4 === 3 ? ['keda', 'knative-serving', 'kserve'] : [],
  });
  const targets = pairs.map((p, k) => inputOf(p, k));
  const generic = renderEnvironmentObjects(targets).map((objects) => objects.map((object) => ({ object })));
  const fused = renderEnvironmentTargets(targets);
  const r = rng(2110);
  let compared = 0;
  let differing = 0;
  let cut = 0;
  let shaped = 0;
  let failed = 0;
  for (let e = 0; e < pairs.length; e++) {
    for (let round = 0; round < 12; round++) {
      const trial = round % 6;
      // The stored objects: this environment's, or another's (pieces shift), from either release.
      const from = trial === 2 || trial === 3 ? (e + 1) % pairs.length : e;
      const stored = renderEnvironments([inputOf(pairs[from]!, trial === 3 ? from : e, bp[trial % 2])])[0]!.objects
        .map((o) => ({ object: jsonbOrder(o.object) as KubeObject, hash: o.hash }));
      for (const s of stored) for (let m = Math.floor(r() * (trial === 5 ? 80 : 4)); m > 0; m--) mutate(s.object, r, words);
      if (trial === 4) for (const s of stored) delete s.object.metadata.labels;
      if (trial === 5) { // most leaves changed: past the 50-field cut-off in the larger objects
        for (const s of stored) for (const { node } of containers(s.object.spec ?? s.object.data ?? {})) for (const key of Object.keys(node)) if (typeof (node as Record<string, Json>)[key] === 'string' && r() < 0.8) (node as Record<string, Json>)[key] += 'x';
      }
      // Whole environments (objects paired by key) and object by object against the same-kind target.
      const whole = outcome(() => diffObjects(stored, generic[e]!));
      assert.deepEqual(outcome(() => diffObjects(stored, fused[e]!)), whole, `${pairs[e]!.join('/')} trial ${trial}`);
      if ('value' in whole && whole.value.changed.some((c) => c.fields.includes('… and more'))) cut++;
      for (let i = 0; i < stored.length; i++) {
        const j = Math.min(i, generic[e]!.length - 1);
        const want = outcome(() => diffObjects([stored[i]!], [generic[e]![j]!]));
        const got = outcome(() => diffObjects([stored[i]!], [fused[e]![j]!]));
        assert.deepEqual(got, want, `${pairs[e]!.join('/')} trial ${trial} object ${i}`);
        compared++;
        if (fused[e]![j]!.shaped) shaped++;
        if (!('value' in want)) failed++;
        else if (want.value.changed.length > 0) differing++;
        if ('value' in want && want.value.changed.some((c) => c.fields.includes('… and more'))) cut++;
      }
    }
  }
  assert.ok(shaped > compared * 0.9, `most targets go through the fused walk (${shaped}/${compared})`);
  assert.ok(differing > compared / 4 && differing < compared, `${differing}/${compared} differ`);
  assert.ok(cut > 0, 'some objects pass the field cut-off');
  assert.ok(failed < compared / 20, `few stored objects break the request sums (${failed})`);
});

test('the fused targets are renderEnvironmentObjects\' objects, in order', () => {
  const inputs = Array.from({ length: 12 }, (_, i) => input(i, i % 2 === 0 ? v15 : v14));
  const generic = renderEnvironmentObjects(inputs);
  renderEnvironmentTargets(inputs).forEach((targets, i) => {
    assert.deepEqual(targets.map((t) => t.shaped?.materialize() ?? t.object), generic[i]);
    for (const t of targets) if (t.shaped) assert.deepEqual([t.shaped.kind, t.shaped.apiVersion, t.shaped.metadata.name, t.shaped.metadata.namespace], [t.shaped.materialize().kind, t.shaped.materialize().apiVersion, t.shaped.materialize().metadata.name, t.shaped.materialize().metadata.namespace]);
  });
});

test('the preview\'s renders fail where renderEnvironments fails on a chart\'s values, without writing them', () => {
  const cacheIndex = v15!.spec.components.findIndex((c) => c.kind === 'helm-chart' && c.chart);
  assert.ok(cacheIndex >= 0, 'the default blueprint has a Helm chart component');
  const withValues = (values: Record<string, unknown>): typeof v15 => {
    const bp = structuredClone(v15!);
    bp.spec.components[cacheIndex]!.chart!.values = values;
    return bp;
  };
  const run = (bp: typeof v15) => {
    const inputs = [0, 1, 2].map((i) => ({ ...input(i, v15), blueprint: bp! }));
    return (['hashed', 'fast', 'fused'] as const).map((mode) => {
      try {
        renderAs(mode, inputs);
        return 'ok';
      } catch (err) {
        return `${(err as Error).constructor.name}: ${(err as Error).message}`;
      }
    });
  };
  // A value YAML cannot encode, deep and behind a reference; an unknown reference; fine ones.
  const bad = run(withValues({ a: { b: [1, Number.POSITIVE_INFINITY] } }));
  assert.deepEqual(bad, Array(3).fill('TypeError: canonicalJson: non-finite number'));
  const badRef = run(withValues({ a: '${params.x}', b: '${nope.y}' }));
  assert.match(badRef[0]!, /^InputError: .*unknown template reference/);
  assert.deepEqual(badRef, Array(3).fill(badRef[0]));
  assert.deepEqual(run(withValues({ a: { b: [1, 2], c: undefined }, n: 2, t: '${tenant.slug}' })), ['ok', 'ok', 'ok']);
});
