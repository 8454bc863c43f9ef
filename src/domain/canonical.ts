// Canonical bytes, Fleetplane's one form of each: one JSON and one YAML text for any value,
// independent of the order in which keys were built, and the one sha256 over them. Top-level
// apiVersion, kind, metadata come first (as kubectl and cdk8s print them), every other key is sorted,
// undefined is dropped (ADR 0402). Rendered objects, blueprint digests, request fingerprints and
// bundle checksums all hash through here. Hashes are taken over the JSON form: it is several times
// cheaper than YAML and just as stable.
import * as crypto from 'node:crypto';
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

/**
 * Throws where canonicalJson and canonicalYaml would: a non-finite number anywhere in the value
 * (undefined members are dropped by both, so they are skipped). For callers that need the failure of
 * an encoding whose text they do not use.
 */
export function assertEncodable(value: unknown): void {
  if (typeof value === 'number') encodeScalar(value);
  else if (Array.isArray(value)) for (const item of value) assertEncodable(item);
  else if (value !== null && typeof value === 'object') for (const k in value as Record<string, unknown>) assertEncodable((value as Record<string, unknown>)[k]);
}

/** Canonical JSON text of a Kubernetes object (or any JSON value). */
export function canonicalJson(value: unknown): string {
  return inOrder(value, true) ? JSON.stringify(value) : encode(value, true);
}

// crypto.hash (Node >= 20.12) skips the Hash object: about a third cheaper for object-sized inputs.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

/** sha256 of a text (UTF-8), lower-case hex. */
export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** A deep copy with keys in canonical order. */
export function canonicalize<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

// Strings made only of these characters, starting with a letter, are plain YAML scalars unless they
// read as a boolean or null. Everything else is formatted by the `yaml` package (cached), so quoting
// matches its choices exactly; multi-line strings are written double-quoted on one line.
const SIMPLE = /^[A-Za-z][A-Za-z0-9_./-]*$/;
// Plain words a YAML 1.1 reader takes for something else: booleans, null, and (the `yaml` package's
// 1.1 schema) exponent-only floats such as `e0`.
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n|e[0-9]+)$/i;
const quoted = new Map<string, string>();
const QUOTED_CACHE_MAX = 50_000;

function yamlScalar(s: string): string {
  if (SIMPLE.test(s) && !RESERVED.test(s)) return s;
  if (s.includes('\n')) return JSON.stringify(s);
  let q = quoted.get(s);
  if (q === undefined) {
    // Quoted when YAML 1.2 (the `yaml` package's default) or YAML 1.1 would read it as something
    // else: kubectl, Argo CD and Helm read YAML 1.1 (go-yaml), where `no`, `on`, `y`, `2026-12-03`,
    // `1:20` or `1_000` are not strings, and 1.2 readers must not see `0o17` as a number either.
    q = yamlStringify(s, { lineWidth: 0 }).replace(/\n$/, '');
    if (q === s) q = yamlStringify(s, { lineWidth: 0, version: '1.1' }).replace(/\n$/, '');
    // A block scalar (`|-`, chosen for e.g. `...-`) cannot stand in a key or after `- `: JSON's
    // double-quoted form is valid YAML in both versions.
    if (q.startsWith('|') || q.startsWith('>')) q = JSON.stringify(s);
    if (quoted.size >= QUOTED_CACHE_MAX) quoted.clear();
    quoted.set(s, q);
  }
  return q;
}

function yamlValue(v: unknown, indent: string, top: boolean, out: string[]): void {
  if (Array.isArray(v)) {
    if (v.length === 0) return void out.push(' []\n');
    out.push('\n');
    for (const item of v) {
      out.push(`${indent}-`);
      if (item !== null && typeof item === 'object' && Object.keys(item).length > 0 && !Array.isArray(item)) {
        yamlMapping(item as Record<string, unknown>, `${indent}  `, false, out, true);
      } else yamlValue(item, `${indent}  `, false, out);
    }
    return;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    if (keys.length === 0) return void out.push(' {}\n');
    out.push('\n');
    return yamlMapping(v as Record<string, unknown>, indent, top, out, false);
  }
  out.push(` ${typeof v === 'string' ? yamlScalar(v) : encodeScalar(v)}\n`);
}

function yamlMapping(o: Record<string, unknown>, indent: string, top: boolean, out: string[], inline: boolean): void {
  let first = true;
  for (const k of orderedKeys(o, top)) {
    const val = o[k];
    if (val === undefined) continue;
    out.push(`${first && inline ? ' ' : indent}${yamlScalar(k)}:`);
    first = false;
    yamlValue(val, `${indent}  `, false, out);
  }
}

/**
 * Canonical YAML text: canonical key order, block style, the `yaml` package's quoting. Hand-written
 * structure because it runs once per environment in bulk renders, where the general-purpose emitter
 * was the slowest step; a property test checks the `yaml` parser reads back exactly the value written.
 */
export function canonicalYaml(value: unknown): string {
  if (value === null || typeof value !== 'object') return `${typeof value === 'string' ? yamlScalar(value) : encodeScalar(value)}\n`;
  const out: string[] = [];
  yamlValue(value, '', true, out);
  const text = out.join('');
  return text.startsWith('\n') ? text.slice(1) : text.trimStart();
}

/** A multi-document YAML stream of objects, in the given order. */
export function canonicalYamlStream(values: readonly unknown[]): string {
  return values.map((v) => `---\n${canonicalYaml(v)}`).join('');
}
