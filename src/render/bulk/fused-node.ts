// The node trees of ./fused.ts (the rollout preview's walk against a shape's stencils, ADR 2110): what
// a stencil's filled object holds, readable without filling it. The walk over them is ./fused-walk.ts.
import type { KubeObject } from '../../domain/types.ts';
import { compileText, slot, type TextStencil } from './stencil.ts';

/** Node kinds (FusedNode.t). */
export const CONST = 0;
/** A string with slots: pieces[0] + values[slots[0]] + pieces[1] + ... */
export const TEXT = 1;
/** An object: its members' nodes by key, keys in the filled object's order. */
export const REC = 2;
export const ARR = 3;
/** The environment's extras[i] (a value built per environment, e.g. the monitoring objects' metadata). */
export const EXTRA = 4;
/** An object with one member, its key extras[i], its value `child`. */
export const KEYED = 5;
/** A string that is one slot's value and nothing else: values[i]. */
export const SLOT = 6;

const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_NUMBERS: readonly number[] = Object.freeze([]);
const NO_NODES: readonly FusedNode[] = Object.freeze([]);
const NO_CHILDREN: ReadonlyMap<string, FusedNode> = new Map();

/**
 * One node of a stencil's tree. One class with every field, so that the walk's property reads stay
 * monomorphic whatever the node kind.
 */
export class FusedNode {
  /** CONST: the value (frozen, shared; for objects and arrays the stencil's own shared part). */
  v: unknown = undefined;
  /** TEXT: the constant pieces, the slot read between each two, the pieces' total length. */
  pieces: readonly string[] = NO_STRINGS;
  slots: readonly number[] = NO_NUMBERS;
  fixed = 0;
  /** REC: the members' keys, in the order the filled object holds them (`for in` order). */
  keys: readonly string[] = NO_STRINGS;
  /** REC: the members' nodes, in keys' order. */
  nodes: readonly FusedNode[] = NO_NODES;
  byKey: ReadonlyMap<string, FusedNode> = NO_CHILDREN;
  /** REC: the keys in the order a stored (jsonb) object returns them, shorter first; a hint for the walk only. */
  order: readonly string[] = NO_STRINGS;
  orderNodes: readonly FusedNode[] = NO_NODES;
  /** ARR: the items. */
  items: readonly FusedNode[] = NO_NODES;
  /** EXTRA, KEYED: the index in the environment's extras; SLOT: the slot. */
  i = 0;
  /** KEYED: the one member's value. */
  child: FusedNode | null = null;
  constructor(readonly t: number) {}
}

const jsonbKeyOrder = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

export function constNode(v: unknown): FusedNode {
  const n = new FusedNode(CONST);
  n.v = v;
  return n;
}

export function textNode(t: TextStencil): FusedNode {
  if (t.slots.length === 1 && t.pieces[0] === '' && t.pieces[1] === '') {
    const n = new FusedNode(SLOT);
    n.i = t.slots[0]!;
    return n;
  }
  const n = new FusedNode(TEXT);
  n.pieces = t.pieces;
  n.slots = t.slots;
  n.fixed = t.pieces.reduce((s, p) => s + p.length, 0);
  return n;
}

export function recNode(members: ReadonlyArray<readonly [string, FusedNode]>): FusedNode {
  const n = new FusedNode(REC);
  n.keys = members.map(([k]) => k);
  n.nodes = members.map(([, c]) => c);
  n.byKey = new Map(members);
  n.order = [...n.keys].sort(jsonbKeyOrder);
  n.orderNodes = n.order.map((k) => n.byKey.get(k)!);
  return n;
}

export function arrNode(items: readonly FusedNode[]): FusedNode {
  const n = new FusedNode(ARR);
  n.items = items;
  return n;
}

export function extraNode(i: number): FusedNode {
  const n = new FusedNode(EXTRA);
  n.i = i;
  return n;
}

export function keyedNode(i: number, child: FusedNode): FusedNode {
  const n = new FusedNode(KEYED);
  n.i = i;
  n.child = child;
  return n;
}

const OPEN = slot(0)[0]!;

/** The tree of a JSON value with slots: subtrees without a slot are one CONST node holding the subtree itself. */
export function nodeOf(v: unknown): FusedNode {
  if (typeof v === 'string') return v.includes(OPEN) ? textNode(compileText(v)) : constNode(v);
  if (v === null || typeof v !== 'object') return constNode(v);
  if (Array.isArray(v)) {
    const items = v.map(nodeOf);
    return items.every((n) => n.t === CONST) ? constNode(v) : arrNode(items);
  }
  const members = Object.keys(v).map((k) => [k, nodeOf((v as Record<string, unknown>)[k])] as const);
  if (members.every(([, n]) => n.t === CONST)) return constNode(v);
  return recNode(members);
}

/** How one stencil's objects are read without filling them; shared by every environment of the shape. */
export interface FusedPlan {
  readonly node: FusedNode;
  /** The object with slot placeholders (and the revision label renderEnvironmentObjects adds). */
  readonly skeleton: KubeObject;
  /** The object renderEnvironmentObjects gives this environment. */
  materialize(o: ShapedObject): KubeObject;
}

/** One target object of one environment: its plan, its identity (filled), its slot values and extras. */
export class ShapedObject {
  constructor(
    readonly plan: FusedPlan,
    readonly kind: string,
    readonly apiVersion: string,
    readonly metadata: { readonly name: string; readonly namespace?: string | undefined },
    readonly values: readonly string[],
    readonly escaped: readonly string[] | undefined,
    readonly extras: readonly unknown[],
  ) {}

  /** The filled object, exactly renderEnvironmentObjects' (for callers that need the object itself). */
  materialize(): KubeObject {
    return this.plan.materialize(this);
  }
}

