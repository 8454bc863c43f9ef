// Canonical bytes: one JSON and one YAML form for any rendered value, independent of the order in
// which keys were built. Top-level apiVersion, kind, metadata come first (as kubectl and cdk8s
// print them), every other key is sorted, undefined is dropped. Hashes are taken over the JSON form:
// it is several times cheaper than YAML and just as stable.
import { createHash } from 'node:crypto';
import { stringify as yamlStringify } from 'yaml';

const HEAD = ['apiVersion', 'kind', 'metadata'];
const HEAD_NONE: string[] = [];

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function orderedKeys(o: Record<string, unknown>, top: boolean): string[] {
  const keys = Object.keys(o).sort(byKey);
  if (!top) return keys;
  const head = HEAD.filter((k) => k in o);
  return head.length === 0 ? keys : [...head, ...keys.filter((k) => !HEAD.includes(k))];
}

function encodeScalar(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError('canonicalJson: non-finite number');
  return v === undefined ? 'null' : String(v);
}

function encode(v: unknown, top: boolean): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return encodeScalar(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + encode(v[i], false);
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const k of orderedKeys(o, top)) {
    const val = o[k];
    if (val === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${encode(val, false)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * True when JSON.stringify would already print canonical bytes: every object's keys in order (head
 * keys first at the top), no undefined array items, no non-finite numbers. Checking is much cheaper than encoding
 * in JS, so objects built in canonical order take V8's native JSON.stringify.
 */
function inOrder(v: unknown, top: boolean): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'number' || Number.isFinite(v);
  return Array.isArray(v) ? arrayInOrder(v) : objectInOrder(v as Record<string, unknown>, top);
}

function arrayInOrder(a: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] === undefined || !inOrder(a[i], false)) return false;
  return true;
}

function objectInOrder(o: Record<string, unknown>, top: boolean): boolean {
  // At the top the head keys present come first, in HEAD order; the sorted rest follows.
  const head = top ? HEAD.filter((k) => k in o) : HEAD_NONE;
  let prev = '';
  let i = 0;
  for (const k in o) {
    const val = o[k];
    // JSON.stringify drops undefined members exactly as the encoder does.
    if (typeof val === 'function' || (typeof val === 'number' && !Number.isFinite(val))) return false;
    const ok = i < head.length ? k === head[i] : i === head.length || k > prev;
    if (!ok || (typeof val === 'object' && val !== null && !inOrder(val, false))) return false;
    prev = k;
    i++;
  }
  return true;
}

/** Canonical JSON text of a Kubernetes object (or any JSON value). */
export function canonicalJson(value: unknown): string {
  return inOrder(value, true) ? JSON.stringify(value) : encode(value, true);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A deep copy with keys in canonical order (for YAML output, where the library keeps insertion order). */
export function canonicalize<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

/** Canonical YAML text: canonical key order, block style, no line wrapping, no anchors. */
export function canonicalYaml(value: unknown): string {
  return yamlStringify(canonicalize(value), { lineWidth: 0, aliasDuplicateObjects: false, sortMapEntries: false });
}

/** A multi-document YAML stream of objects, in the given order. */
export function canonicalYamlStream(values: readonly unknown[]): string {
  return values.map((v) => `---\n${canonicalYaml(v)}`).join('');
}
