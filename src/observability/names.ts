// DNS-safe object names of at most 63 characters; long inputs keep a readable prefix and get a
// short content hash suffix so distinct inputs never collide (the cdk8s names.ts approach).
import { sha256Hex } from '../domain/canonical.ts';

const MAX = 63;

export function shortHash(s: string, len = 8): string {
  return sha256Hex(s).slice(0, len);
}

const CLEAN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function dnsName(...parts: string[]): string {
  const raw = parts.join('-');
  // Already clean and short enough: exactly the case in which the rewrite below returns it unchanged.
  if (raw.length <= MAX && CLEAN.test(raw)) return raw;
  const joined = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (joined.length <= MAX && joined === parts.join('-')) return joined;
  const hash = shortHash(parts.join('/'));
  const head = joined.slice(0, MAX - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}
