// The fused walk (ADR 2110) for the rollout preview: diffInto(a, b) where b is the filled object of a
// stencil's tree, without filling it. Every branch gives exactly what diffInto gives for the filled
// value: same fields, same order (a's key order, then b's keys missing from a, in b's order), the
// same MAX_FIELDS cut-off. A ShapedTarget is what src/plan's preview takes as a target it did not
// build (plan/rollout-preview.ts ShapedTarget): it walks a stored object against itself and adds its
// own requests, so the planner needs no knowledge of stencils.
import { LABELS } from '../../domain/types.ts';
import { diffInto, MAX_FIELDS, type DiffInterner, type Path } from '../../domain/object-diff.ts';
import { podSpec, requestTerms, type ResourceDelta } from '../../domain/pod-requests.ts';
import * as fused from './fused-node.ts';
import { ShapedObject, type FusedNode } from './fused-node.ts';
import * as stencil from './stencil.ts';


// Imported bindings copied once: under the tsx loader each read of an imported binding is a getter
// call, which showed in the walk's profile (a few reads per node).
const { ARR, CONST, EXTRA, KEYED, REC, SLOT, TEXT } = fused;
const { hasSlot } = stencil;
const REVISION = LABELS.revision;

/** What b[k] is for a key b does not own: undefined, or what a plain object inherits. */
const NO_MEMBERS: Record<string, unknown> = {};

/** a's characters from `at` are s's. Short strings a character at a time (a slice of them would be a copy), longer ones as a slice (a view) compared with ===. */
function matchesAt(a: string, at: number, s: string): boolean {
  const n = s.length;
  if (n >= SLICE_VIEW) return a.slice(at, at + n) === s;
  for (let i = 0; i < n; i++) if (a.charCodeAt(at + i) !== s.charCodeAt(i)) return false;
  return true;
}

/** V8 makes a slice of this many characters or more a view into its string instead of a copy. */
const SLICE_VIEW = 13;

/**
 * True when a equals the filled text of n, without building it: the lengths first, then each piece
 * and slot value against a at its offset. === on a slice compares flat memory, several times faster
 * than startsWith at an offset (a character at a time: 22 KB dashboard 4.6 µs against 46 µs);
 * filling the text to compare it allocated the whole string per environment, a quarter of the
 * preview's garbage.
 */
function textEquals(a: string, n: FusedNode, values: readonly string[]): boolean {
  const { slots, pieces } = n;
  let length = n.fixed;
  for (let i = 0; i < slots.length; i++) length += values[slots[i]!]!.length;
  if (a.length !== length) return false;
  let at = 0;
  for (let i = 0; ; i++) {
    const p = pieces[i]!;
    if (!matchesAt(a, at, p)) return false;
    at += p.length;
    if (i === slots.length) return true;
    const v = values[slots[i]!]!;
    if (!matchesAt(a, at, v)) return false;
    at += v.length;
  }
}

function fusedInto(a: unknown, n: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  if (out.length > MAX_FIELDS) return;
  switch (n.t) {
    case CONST:
      if (a !== n.v) diffInto(a, n.v, path, out, names);
      return;
    case SLOT:
      if (a !== o.values[n.i]) out.push(names.pointer(path));
      return;
    case TEXT:
      if (typeof a !== 'string' || !textEquals(a, n, o.values)) out.push(names.pointer(path));
      return;
    case EXTRA:
      diffInto(a, o.extras[n.i], path, out, names);
      return;
    case ARR:
      if (!Array.isArray(a)) out.push(names.pointer(path));
      else fusedArray(a, n.items, o, path, out, names);
      return;
    case REC:
      if (typeof a !== 'object' || a === null || Array.isArray(a)) out.push(names.pointer(path));
      else fusedRecord(a as Record<string, unknown>, n, o, path, out, names);
      return;
    case KEYED:
      if (typeof a !== 'object' || a === null || Array.isArray(a)) out.push(names.pointer(path));
      else fusedKeyed(a as Record<string, unknown>, o.extras[n.i] as string, n.child!, o, path, out, names);
      return;
    default:
      throw new Error(`fused walk: unknown node ${n.t}`);
  }
}

const NULL_NODE = fused.constNode(null);

/** The walk's inline check (no call, no path step): a leaf equal to the node's value. */
function sameLeaf(x: unknown, c: FusedNode, values: readonly string[]): boolean {
  const t = c.t;
  if (t === CONST) return x === c.v;
  if (t === SLOT) return x === values[c.i];
  return t === TEXT && typeof x === 'string' && textEquals(x, c, values);
}

function fusedArray(a: unknown[], items: readonly FusedNode[], o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const n = Math.max(a.length, items.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? null;
    const c = i < items.length ? items[i]! : NULL_NODE; // past b's end diffInto compares with null
    if (sameLeaf(x, c, o.values)) continue;
    path.push(i);
    fusedInto(x, c, o, path, out, names);
    path.pop();
  }
}

function fusedRecord(a: Record<string, unknown>, n: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const labels = path.length === 2 && path[0] === 'metadata' && path[1] === 'labels';
  const { order, orderNodes, keys, nodes } = n;
  let seen = 0;
  let i = 0;
  for (const k in a) {
    // Stored objects come in jsonb key order (the i-th key is order[i]) or in the stencil's; else looked up.
    const c = i < order.length ? (k === order[i] ? orderNodes[i] : k === keys[i] ? nodes[i] : n.byKey.get(k)) : n.byKey.get(k);
    i++;
    const x = a[k];
    if (c === undefined) {
      const y = NO_MEMBERS[k];
      if (x === y || (labels && k === REVISION)) continue;
      path.push(k);
      diffInto(x, y, path, out, names);
      path.pop();
      continue;
    }
    seen++;
    if (sameLeaf(x, c, o.values) || (labels && k === REVISION)) continue;
    path.push(k);
    fusedInto(x, c, o, path, out, names);
    path.pop();
  }
  if (seen === keys.length) return; // every member of b was met: none is missing from a
  for (const k of keys) {
    if (k in a || (labels && k === REVISION)) continue;
    path.push(k);
    out.push(names.pointer(path));
    path.pop();
  }
}

function fusedKeyed(a: Record<string, unknown>, key: string, c: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const labels = path.length === 2 && path[0] === 'metadata' && path[1] === 'labels';
  let seen = false;
  for (const k in a) {
    const x = a[k];
    if (k === key) {
      seen = true;
      if (sameLeaf(x, c, o.values) || (labels && k === REVISION)) continue;
      path.push(k);
      fusedInto(x, c, o, path, out, names);
      path.pop();
      continue;
    }
    const y = NO_MEMBERS[k];
    if (x === y || (labels && k === REVISION)) continue;
    path.push(k);
    diffInto(x, y, path, out, names);
    path.pop();
  }
  if (seen || key in a || (labels && key === REVISION)) return;
  path.push(key);
  out.push(names.pointer(path));
  path.pop();
}

/** Per stencil tree: the target's request terms when no slot reaches them (kind, replicas, resources), else null. */
const termsOfPlan = new WeakMap<object, readonly number[] | null>();

function addShapedRequests(acc: ResourceDelta, o: ShapedObject): void {
  let terms = termsOfPlan.get(o.plan);
  if (terms === undefined) {
    const skeleton = o.plan.skeleton;
    const p = podSpec(skeleton);
    const containers = p?.spec.containers;
    const reached = [skeleton.kind, (skeleton as { spec?: { replicas?: unknown } }).spec?.replicas, Array.isArray(containers) ? containers.map((c) => (c as { resources?: unknown } | null)?.resources) : containers];
    terms = hasSlot(reached) ? null : requestTerms(skeleton);
    termsOfPlan.set(o.plan, terms);
  }
  if (terms === null) terms = requestTerms(o.materialize());
  for (let i = 0; i < terms.length; i += 3) {
    acc.cpuMillis += terms[i]!;
    acc.memoryBytes += terms[i + 1]!;
    acc.gpus += terms[i + 2]!;
  }
}


/** A ShapedObject the preview can diff and count without materializing it. */
export class ShapedTarget extends ShapedObject {
  /** Pushes the JSON pointers where `current` differs from this target, as diffInto(current, materialize()) would. */
  diffFrom(current: unknown, path: Path, out: string[], names: DiffInterner): void {
    fusedInto(current, this.plan.node, this, path, out, names);
  }

  /** Adds this target's requested CPU, memory and GPUs to acc. */
  addRequestsTo(acc: ResourceDelta): void {
    addShapedRequests(acc, this);
  }
}
