// Diffs of an environment's manifests, for people: between two stored revisions, or between a revision
// and what runs in the cluster. Objects are matched by kind/namespace/name and shown as canonical
// YAML (sorted keys) in unified-diff form (jsdiff). Live objects are first cut down to the fields the
// revision sets (server defaults, status and bookkeeping are not ours to compare), and the fields the
// engine itself counts as drift (plan/drift.ts) are named per object. Secret values are never shown.
import { createTwoFilesPatch } from 'diff';
import YAML from 'yaml';
import type { KubeObject } from '../../domain/types.ts';
import { driftedFields, hpaTargets } from '../../plan/drift.ts';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface ObjectChange {
  ref: { apiVersion: string; kind: string; namespace: string | null; name: string };
  change: ChangeKind;
  /** Unified diff of the YAML (---/+++ headers name the two sides). */
  patch: string;
  /** Live diffs: the owned fields the engine reports as drift (empty: only normalization differs). */
  driftFields?: string[];
}

export interface ManifestDiff {
  from: string;
  to: string;
  changes: ObjectChange[];
  unchanged: number;
}

const MAX_PATCH = 200_000;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function keyOf(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Secrets keep their keys, never their values. */
export function redact(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const hide = (v: unknown) => (isObj(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, '<redacted>'])) : v);
  return { ...o, ...(o.data !== undefined ? { data: hide(o.data) } : {}), ...(o.stringData !== undefined ? { stringData: hide(o.stringData) } : {}) };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}

export function toYaml(o: KubeObject | null): string {
  return o ? YAML.stringify(sortKeys(redact(o)), { lineWidth: 0 }) : '';
}

/** The live value restricted to the shape of `want`: keys it sets, list items matched by name. */
export function project(want: unknown, live: unknown): unknown {
  if (isObj(want)) {
    if (!isObj(live)) return live;
    const out: Obj = {};
    for (const k of Object.keys(want)) if (k in live) out[k] = project(want[k], live[k]);
    return out;
  }
  if (Array.isArray(want) && Array.isArray(live)) {
    const named = want.every((w) => isObj(w) && typeof w.name === 'string');
    if (!named) return want.map((w, i) => project(w, live[i]));
    return want.flatMap((w) => {
      const match = live.find((l) => isObj(l) && l.name === (w as Obj).name);
      return match === undefined ? [] : [project(w, match)];
    });
  }
  return live;
}

function refOf(o: KubeObject): ObjectChange['ref'] {
  return { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace ?? null, name: o.metadata.name };
}

function patchOf(key: string, labels: [string, string], a: KubeObject | null, b: KubeObject | null): string {
  const p = createTwoFilesPatch(`${labels[0]}/${key}`, `${labels[1]}/${key}`, toYaml(a), toYaml(b), undefined, undefined, { context: 3 });
  return p.length > MAX_PATCH ? `${p.slice(0, MAX_PATCH)}\n… (cut at ${MAX_PATCH} characters)\n` : p;
}

/** Two stored revisions: what `to` adds, removes and changes relative to `from`. */
export function diffRevisions(from: { id: string; objects: KubeObject[] }, to: { id: string; objects: KubeObject[] }): ManifestDiff {
  const a = new Map(from.objects.map((o) => [keyOf(o), o]));
  const b = new Map(to.objects.map((o) => [keyOf(o), o]));
  const changes: ObjectChange[] = [];
  let unchanged = 0;
  const labels: [string, string] = [from.id, to.id];
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) changes.push({ ref: refOf(x), change: 'removed', patch: patchOf(k, labels, x, null) });
    else if (toYaml(x) === toYaml(y)) unchanged++;
    else changes.push({ ref: refOf(y), change: 'changed', patch: patchOf(k, labels, x, y) });
  }
  for (const [k, y] of b) if (!a.has(k)) changes.push({ ref: refOf(y), change: 'added', patch: patchOf(k, labels, null, y) });
  return { from: from.id, to: to.id, changes, unchanged };
}

/** A revision against live objects (null: missing in the cluster). */
export function diffLive(rev: { id: string; objects: KubeObject[] }, live: Map<string, KubeObject | null>): ManifestDiff {
  const hpa = hpaTargets(rev.objects);
  const changes: ObjectChange[] = [];
  let unchanged = 0;
  const labels: [string, string] = [rev.id, 'live'];
  for (const want of rev.objects) {
    const k = keyOf(want);
    const got = live.get(k) ?? null;
    if (!got) {
      changes.push({ ref: refOf(want), change: 'removed', patch: patchOf(k, labels, want, null), driftFields: ['(missing)'] });
      continue;
    }
    const cut = project(want, got) as KubeObject;
    if (toYaml(want) === toYaml(cut)) {
      unchanged++;
      continue;
    }
    changes.push({ ref: refOf(want), change: 'changed', patch: patchOf(k, labels, want, cut), driftFields: driftedFields(want, got, { hpaTargets: hpa }) });
  }
  return { from: rev.id, to: 'live', changes, unchanged };
}
