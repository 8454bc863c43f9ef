// The blueprint's only template language: `${params.x.y}`, `${tenant.slug}`, `${env.hostname}` ...
// inside strings. Deliberately tiny (no logic, no loops): logic belongs in the renderer where it is
// typed and tested. A string that is exactly one reference keeps the referenced value's type, so Helm
// values can receive numbers, booleans and objects. See docs/adr/0401-template-language.md.
import { InputError } from '../domain/errors.ts';
import { canonicalJson } from '../domain/canonical.ts';

type Part = string | readonly string[];
interface Compiled { parts: Part[]; whole: readonly string[] | null }

export const TEMPLATE_ROOTS = ['params', 'tenant', 'env', 'release'] as const;
export type TemplateScope = Record<(typeof TEMPLATE_ROOTS)[number], Record<string, unknown>>;

const REF = /\$\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}/g;
const cache = new Map<string, Compiled>();

function compile(text: string, field: string): Compiled {
  const hit = cache.get(text);
  if (hit) return hit;
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(REF)) {
    const path = m[1]!.split('.');
    if (!(TEMPLATE_ROOTS as readonly string[]).includes(path[0]!)) {
      throw new InputError(`${field}: unknown template reference "\${${m[1]}}" (use ${TEMPLATE_ROOTS.join(', ')})`, [{ field, message: `unknown reference ${m[1]}` }]);
    }
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push(path);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const only = parts.length === 1 ? parts[0] : undefined;
  const compiled: Compiled = { parts, whole: only !== undefined && typeof only !== 'string' ? only : null };
  cache.set(text, compiled);
  return compiled;
}

function lookup(scope: TemplateScope, path: readonly string[]): unknown {
  let cur: unknown = scope;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  // Objects print as canonical JSON: the environment's key order must not change the bytes.
  return typeof v === 'object' ? canonicalJson(v) : String(v);
}

/** Expand references in a string to a string (config values). */
export function expandString(text: string, scope: TemplateScope, field: string): string {
  if (!text.includes('${')) return text;
  const c = compile(text, field);
  let out = '';
  for (const p of c.parts) out += typeof p === 'string' ? p : asText(lookup(scope, p));
  return out;
}

/** Expand references anywhere in a JSON value (Helm values); whole-string references keep their type. */
export function expandValue(value: unknown, scope: TemplateScope, field: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const c = compile(value, field);
    return c.whole ? lookup(scope, c.whole) ?? null : expandString(value, scope, field);
  }
  if (Array.isArray(value)) return value.map((v, i) => expandValue(v, scope, `${field}/${i}`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandValue(v, scope, `${field}/${k}`);
    return out;
  }
  return value;
}
