// Stencils (bulk rendering only, ADR 0405): a value built once with placeholder strings ("slots") where the per-environment text goes
// (tenant, environment, namespace, ...), then filled per environment by string joins. Rendering
// 10,000 environments otherwise rebuilds and re-serializes the same ~40 KB of rules and dashboard
// JSON 10,000 times with only a few names changed. Slot values must need no JSON escaping (DNS
// labels, hex), so one filled text is valid at any JSON nesting depth; fill() checks that, unless the
// caller passes escaped values (slots that are whole JSON strings, like config values).
import { canonicalJson } from '../../domain/canonical.ts';

const OPEN = '\uE000';
const CLOSE = '\uE001';
const SLOT_RE = /\uE000(\d+)\uE001/g;
/** Characters a slot value may hold: nothing JSON (or JSON inside JSON) would escape. */
const SAFE = /^[A-Za-z0-9._:/ -]*$/;

/** The placeholder for slot i (Unicode private-use characters that no rendered text contains). */
export function slot(i: number): string {
  return `${OPEN}${i}${CLOSE}`;
}

/** A text split around its slots: pieces[0] + values[slots[0]] + pieces[1] + ... */
export interface TextStencil {
  readonly pieces: readonly string[];
  readonly slots: readonly number[];
}

/**
 * The same text as a fresh string. Slices of a text that held the (two-byte) slot characters stay
 * two-byte strings in V8, and so would everything joined from them: twice the memory, and hashing
 * would transcode every byte. A decoded copy is one-byte whenever its characters allow.
 */
function oneByte(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

export function compileText(text: string): TextStencil {
  const pieces: string[] = [];
  const slots: number[] = [];
  let last = 0;
  for (const m of text.matchAll(SLOT_RE)) {
    pieces.push(text.slice(last, m.index));
    slots.push(Number(m[1]));
    last = m.index + m[0].length;
  }
  pieces.push(text.slice(last));
  if (pieces.some((p) => p.includes(OPEN) || p.includes(CLOSE))) throw new Error('stencil: malformed slot');
  return { pieces: pieces.map(oneByte), slots };
}

export function fillText(t: TextStencil, values: readonly string[]): string {
  const { pieces, slots } = t;
  let out = pieces[0]!;
  for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + pieces[i + 1]!;
  return out;
}

type Fill = (values: readonly string[]) => unknown;

/**
 * JavaScript source of an expression that builds `v` with its slots read from `v[i]`: object and
 * array literals, so V8 clones them from literal boilerplates, several times faster than walking a
 * structure. Only JSON.stringify'd constants go into the source.
 */
function source(v: unknown): string {
  if (typeof v === 'string') {
    if (!v.includes(OPEN)) return JSON.stringify(v);
    const t = compileText(v);
    let code = JSON.stringify(t.pieces[0]);
    for (let i = 0; i < t.slots.length; i++) code += `+v[${t.slots[i]}]+${JSON.stringify(t.pieces[i + 1])}`;
    return `(${code})`;
  }
  if (Array.isArray(v)) return `[${v.map(source).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    // "__proto__" in a literal would set the prototype; slotted keys would need sorting per environment.
    if (keys.some((k) => k === '__proto__' || k.includes(OPEN))) throw new Error('stencil: unsupported object key');
    return `{${keys.map((k) => `${JSON.stringify(k)}:${source((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function compileValue(v: unknown): Fill {
  // The source holds only JSON.stringify'd constants and slot reads (see source()).
  return new Function('v', `return ${source(v)};`) as Fill;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/**
 * Like source(), but every object or array without a slot is read from `c` (built once, frozen) instead
 * of cloned: values that environments share. For read-only callers (Stencil.value).
 */
function sharedSource(v: unknown, consts: unknown[]): string {
  if (v !== null && typeof v === 'object' && !JSON.stringify(v).includes(OPEN)) {
    consts.push(deepFreeze(v));
    return `c[${consts.length - 1}]`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => sharedSource(x, consts)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.some((k) => k === '__proto__' || k.includes(OPEN))) throw new Error('stencil: unsupported object key');
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sharedSource((v as Record<string, unknown>)[k], consts)}`).join(',')}}`;
  }
  return source(v);
}

function compileShared(v: unknown): Fill {
  const consts: unknown[] = [];
  const build = new Function('c', 'v', `return ${sharedSource(v, consts)};`) as (c: readonly unknown[], values: readonly string[]) => unknown;
  return (values) => build(consts, values);
}

/**
 * A JSON value with slots: fill() gives a fresh object (keys in canonical order, undefined members
 * dropped) and its canonical JSON. `escaped` are the values as they appear inside a JSON string
 * literal (default: the values themselves, checked to need no escaping).
 */
export interface Stencil<T> {
  fill(values: readonly string[], escaped?: readonly string[]): { value: T; json: string };
  /**
   * The same value as fill() gives (the same check of `values` when `escaped` is not given), without
   * its JSON text, for callers that only read it: its parts without slots are shared by every fill
   * and frozen.
   */
  value(values: readonly string[], escaped?: readonly string[]): T;
  /**
   * The value with its slot placeholders in place (keys as value() gives them, undefined members
   * dropped); its parts without slots are the frozen ones value() shares. For callers that compare a
   * value against the stencil without filling it (render/bulk/fused.ts).
   */
  readonly skeleton: unknown;
}

/** A value as it appears between the quotes of a JSON string literal. */
export function escapeSlotValue(v: string): string {
  return SAFE.test(v) ? v : JSON.stringify(v).slice(1, -1);
}

/** True when a JSON value holds a slot placeholder anywhere (keys included). */
export function hasSlot(v: unknown): boolean {
  return JSON.stringify(v)?.includes(OPEN) === true;
}

export function checkSlotValues(values: readonly string[]): void {
  for (const v of values) if (!SAFE.test(v)) throw new Error(`stencil: slot value needs escaping: ${JSON.stringify(v)}`);
}

export function compile<T>(template: T): Stencil<T> {
  const json = canonicalJson(template);
  const text = compileText(json);
  const build = compileValue(JSON.parse(json));
  const skeleton: unknown = JSON.parse(json);
  const shared = compileShared(skeleton); // freezes the skeleton's parts without slots, in place
  return {
    skeleton,
    fill(values, escaped) {
      if (!escaped) checkSlotValues(values);
      return { value: build(values) as T, json: fillText(text, escaped ?? values) };
    },
    value(values, escaped) {
      if (!escaped) checkSlotValues(values);
      return shared(values) as T;
    },
  };
}
