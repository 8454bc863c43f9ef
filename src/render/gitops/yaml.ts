// Canonical YAML for files committed to a tenant's GitOps repo: keys sorted, with apiVersion, kind,
// metadata first (as cdk8s does), no line folding. Same input, same bytes, so Git shows only real
// changes and re-delivering a revision produces no commit.
import { stringify } from 'yaml';

const FIRST = ['apiVersion', 'kind', 'metadata'];

function alpha(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function topOrder(a: string, b: string): number {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? FIRST.length : ia) - (ib === -1 ? FIRST.length : ib);
  return alpha(a, b);
}

/** Deep copy with object keys in canonical order (apiVersion/kind/metadata first at the top only). */
export function canonicalize(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => canonicalize(v, false));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(top ? topOrder : alpha)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = canonicalize(v, false);
  }
  return out;
}

export function canonicalYaml(value: unknown): string {
  return stringify(canonicalize(value), { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
}

export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}
