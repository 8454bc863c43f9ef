// Manifest snapshots (FLEETPLANE_UPDATE_SNAPSHOTS=1 writes them; a missing or stale one fails):
//   __snapshots__/default-1.4.0.shared.prod/<kind>-<name>.yaml  every object of one environment in
//       full, one file per object (the dashboard's JSON shown parsed), so a builder change shows up in
//       the one file of the object it changes;
//   __snapshots__/default-1.4.0.<tier>.<type>.diff.yaml and ...ingress.diff.yaml  what each other
//       tier x environment type (and ingress routing) changes against that environment, field by
//       field: the same tenant and environment name, only the dimension differs;
//   __snapshots__/default-1.4.0.cache-values.yaml  the Helm values of the cache chart.
// The default blueprint has every component kind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { matchSnapshot, matchSnapshotDir, structuralDiff, updatingSnapshots, type Change } from '../../test/helpers/snapshot.ts';
import { parseBlueprint } from '../domain/blueprint.ts';
import { canonicalize, canonicalYaml } from '../domain/canonical.ts';
import { ENVIRONMENT_TYPES, LABELS, TIERS, type EnvironmentType, type KubeObject, type Tier } from '../domain/types.ts';
import { renderEnvironment, renderEnvironments, type PlatformConfig, type RenderInput } from './index.ts';
import { DASHBOARD_LABEL } from './monitoring/index.ts';

const snapDir = join(import.meta.dirname, '__snapshots__');
const bp = parseBlueprint(readFileSync(join(import.meta.dirname, '../../blueprints/default/1.4.0.yaml'), 'utf8'));
const BASE = { tier: 'shared', type: 'prod' } as const;

function input(tier: Tier, type: EnvironmentType, platform?: Partial<PlatformConfig>): RenderInput {
  return {
    tenant: { slug: 'acme', name: 'Acme Corp', tier },
    environment: { name: 'prod', type, values: { features: { beta: true } } },
    blueprint: bp,
    placement: { cluster: 'fp-1' },
    ...(platform ? { platform } : {}),
  };
}

const isDashboard = (o: KubeObject) => o.kind === 'ConfigMap' && o.metadata.labels?.[DASHBOARD_LABEL] === '1';

/**
 * An object as its snapshot shows it: canonical key order, the revision label as a placeholder (the
 * revision hashes every object; its stability is render.test.ts's), a dashboard's JSON parsed.
 */
function view(o: KubeObject): KubeObject {
  const labels = { ...o.metadata.labels, [LABELS.revision]: '<revision>' };
  const shown: KubeObject = { ...o, metadata: { ...o.metadata, labels } };
  if (isDashboard(o)) {
    const data = o.data as Record<string, string>;
    for (const text of Object.values(data)) assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`, 'dashboard files are 2-space JSON with a newline');
    shown.data = Object.fromEntries(Object.entries(data).map(([k, text]) => [k, JSON.parse(text) as unknown]));
  }
  return canonicalize(shown);
}

const idOf = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

function objectsOf(i: RenderInput): Map<string, KubeObject> {
  return new Map(renderEnvironment(i).objects.map(({ object }) => [idOf(object), view(object)]));
}

/** What `variant` changes against `base`: objects added and removed, fields changed per object. */
function dimensionDiff(base: Map<string, KubeObject>, variant: Map<string, KubeObject>): string {
  const added = [...variant.keys()].filter((k) => !base.has(k)).sort().map((k) => variant.get(k)!);
  const removed = [...base.keys()].filter((k) => !variant.has(k)).sort();
  const changed: Record<string, Record<string, Change>> = {};
  for (const [k, b] of base) {
    const v = variant.get(k);
    if (!v) continue;
    const d = structuralDiff(b as never, v as never);
    if (Object.keys(d).length > 0) changed[k] = d;
  }
  return canonicalYaml({ added, removed, changed });
}

const fileName = (o: KubeObject) => `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`;

describe('manifest snapshots', () => {
  const base = objectsOf(input(BASE.tier, BASE.type));

  it(`${BASE.tier} tier, ${BASE.type} environment: every object in full`, () => {
    const files: Record<string, string> = {};
    for (const o of base.values()) {
      assert.equal(files[fileName(o)], undefined, `two objects would share ${fileName(o)}`);
      files[fileName(o)] = canonicalYaml(o);
    }
    assert.ok(Object.keys(files).length >= 40);
    matchSnapshotDir(join(snapDir, `default-1.4.0.${BASE.tier}.${BASE.type}`), files);
  });

  for (const tier of TIERS) {
    for (const type of ENVIRONMENT_TYPES) {
      if (tier === BASE.tier && type === BASE.type) continue;
      it(`${tier} tier, ${type} environment: what it changes`, () => {
        const text = dimensionDiff(base, objectsOf(input(tier, type)));
        matchSnapshot(join(snapDir, `default-1.4.0.${tier}.${type}.diff.yaml`), text);
      });
    }
  }

  it('ingress routing: what it changes', () => {
    const text = dimensionDiff(base, objectsOf(input(BASE.tier, BASE.type, { routing: 'ingress' })));
    assert.match(text, /Ingress/);
    matchSnapshot(join(snapDir, 'default-1.4.0.ingress.diff.yaml'), text);
  });

  it('helm values for the cache chart', () => {
    const r = renderEnvironment(input('shared', 'prod'));
    assert.equal(r.helmValues.length, 1);
    matchSnapshot(join(snapDir, 'default-1.4.0.cache-values.yaml'), r.helmValues[0]!.yaml);
  });

  it('the bulk API renders every snapshotted environment to the same bytes', () => {
    const inputs = [...TIERS.flatMap((t) => ENVIRONMENT_TYPES.map((e) => input(t, e))), input('shared', 'prod', { routing: 'ingress' })];
    const bulk = renderEnvironments([...inputs, ...inputs]); // the second half comes from built shapes
    inputs.forEach((i, k) => {
      const one = renderEnvironment(i);
      for (const r of [bulk[k]!, bulk[k + inputs.length]!]) {
        assert.equal(r.revision, one.revision);
        assert.deepEqual(r.objects.map((o) => o.hash), one.objects.map((o) => o.hash));
      }
    });
  });
});

it('the snapshot rule: a missing or different snapshot fails; only FLEETPLANE_UPDATE_SNAPSHOTS=1 outside CI writes', () => {
  assert.equal(updatingSnapshots({}), false);
  assert.equal(updatingSnapshots({ FLEETPLANE_UPDATE_SNAPSHOTS: '1' }), true);
  assert.equal(updatingSnapshots({ FLEETPLANE_UPDATE_SNAPSHOTS: '1', CI: 'true' }), false);
  const dir = mkdtempSync(join(tmpdir(), 'fp-snapshot-'));
  try {
    const file = join(dir, 'x.yaml');
    assert.throws(() => matchSnapshot(file, 'a: 1\n', false), /missing snapshot/);
    assert.equal(existsSync(file), false, 'nothing is written unless asked');
    matchSnapshot(file, 'a: 1\n', true);
    matchSnapshot(file, 'a: 1\n', false);
    assert.throws(() => matchSnapshot(file, 'a: 2\n', false), /snapshot differs/);
    assert.throws(() => matchSnapshotDir(dir, {}, false), /no test produces: x.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
