// Stencils: a value built once with placeholder strings ("slots") where the per-environment text goes
// (tenant, environment, namespace, ...), then filled per environment by string joins. Rendering
// 10,000 environments otherwise rebuilds and re-serializes the same ~40 KB of rules and dashboard
// JSON 10,000 times with only a few names changed. Slot values must need no JSON escaping (DNS
// labels, hex), so one filled text is valid at any JSON nesting depth; fill() checks that.
import { canonicalJson } from '../render/canonical.ts';

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
  return { pieces, slots };
}

export function fillText(t: TextStencil, values: readonly string[]): string {
  const { pieces, slots } = t;
  let out = pieces[0]!;
  for (let i = 0; i < slots.length; i++) out += values[slots[i]!]! + pieces[i + 1]!;
  return out;
}

type Fill = (values: readonly string[]) => unknown;

/** A function that builds a fresh copy of `v` with its slots filled (nothing is shared between copies). */
function compileValue(v: unknown): Fill {
  if (typeof v === 'string') {
    if (!v.includes(OPEN)) return () => v;
    const t = compileText(v);
    return (values) => fillText(t, values);
  }
  if (Array.isArray(v)) {
    const items = v.map(compileValue);
    return (values) => items.map((f) => f(values));
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.some((k) => k.includes(OPEN))) throw new Error('stencil: slots in object keys are not supported');
    const fills = keys.map((k) => compileValue((v as Record<string, unknown>)[k]));
    return (values) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) out[keys[i]!] = fills[i]!(values);
      return out;
    };
  }
  return () => v;
}

/** A JSON value with slots: fill() gives a fresh object (keys in canonical order) and its canonical JSON. */
export interface Stencil<T> {
  fill(values: readonly string[]): { value: T; json: string };
}

export function checkSlotValues(values: readonly string[]): void {
  for (const v of values) if (!SAFE.test(v)) throw new Error(`stencil: slot value needs escaping: ${JSON.stringify(v)}`);
}

export function compile<T>(skeleton: T): Stencil<T> {
  const json = canonicalJson(skeleton);
  const text = compileText(json);
  const build = compileValue(JSON.parse(json));
  return {
    fill(values) {
      checkSlotValues(values);
      return { value: build(values) as T, json: fillText(text, values) };
    },
  };
}
