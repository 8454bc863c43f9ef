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
import { diffObjects, previewRollout, sameContent, type PreviewEnvironment, type RolloutPreview } from './rollout-preview.ts';
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

function preview(envs: readonly PreviewEnvironment[], fast: boolean): RolloutPreview {
  const byKey = new Map(envs.map((e, i) => [`${e.tenant}/${e.environment}`, i]));
  const targets = (xs: readonly PreviewEnvironment[]) => xs.map((e) => input(byKey.get(`${e.tenant}/${e.environment}`)!, v15));
  return previewRollout({
    environments: envs, selector: {}, strategy: { ...DEFAULT_STRATEGY, canary: { count: 2 } }, version: '1.5.0', now: new Date(Date.UTC(2026, 11, 2, 12)),
    render: fast
      ? (xs) => renderEnvironmentObjects(targets(xs)).map((objects) => objects.map((object) => ({ object })))
      : (xs) => renderEnvironments(targets(xs)).map((r) => r.objects),
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
  const straight = preview(envs, false);
  const fast = preview(envs, true);
  assert.deepEqual(fast, straight);
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
