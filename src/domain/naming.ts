// Fleetplane's one naming convention (docs/rendering.md). Every generated name is deterministic and
// fits Kubernetes limits: DNS-1123 labels (namespaces, services) <= 63, subdomains <= 253, label
// values <= 63. A name that had to be shortened or rewritten gets a short hash of its full input, like
// cdk8s names.ts, so two different inputs never collapse to the same name (up to a 2^-32 collision).
import * as crypto from 'node:crypto';

export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;
export const LABEL_VALUE_MAX = 63;
const HASH_LEN = 8;

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

// The predicates take unknown: they guard untrusted input (API bodies, render input), where a value
// that is not a string (an object whose toString is not a function, say) must answer false, not throw.
export function isDnsLabel(s: unknown): boolean {
  return typeof s === 'string' && s.length <= DNS_LABEL_MAX && DNS_LABEL_RE.test(s);
}

/** RFC 1035 label: what Services need (must start with a letter). */
export function isDns1035Label(s: unknown): boolean {
  return typeof s === 'string' && s.length <= DNS_LABEL_MAX && DNS1035_LABEL_RE.test(s);
}

export function isDnsSubdomain(s: unknown): boolean {
  return typeof s === 'string' && s.length > 0 && s.length <= DNS_SUBDOMAIN_MAX && s.split('.').every((p) => DNS_LABEL_RE.test(p));
}

export function isLabelValue(s: unknown): boolean {
  return typeof s === 'string' && s.length <= LABEL_VALUE_MAX && LABEL_VALUE_RE.test(s);
}

// crypto.hash (Node >= 20.12) skips the Hash object; names are hashed per environment in bulk renders.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export function shortHash(input: string, len = HASH_LEN): string {
  const hex = oneShot ? oneShot('sha256', input, 'hex') : crypto.createHash('sha256').update(input).digest('hex');
  return hex.slice(0, len);
}

function sanitize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** `base-<hash>` cut so the whole thing fits `max`, never ending in '-'. */
function withHash(base: string, full: string, max: number): string {
  const hash = shortHash(full);
  const room = max - hash.length - 1;
  const head = base.slice(0, room).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/**
 * Join parts with '-' into a DNS-1123 label of at most `max` characters. Used as-is when the joined
 * parts are already a valid label within the limit; otherwise sanitized, cut and suffixed with a hash.
 */
export function dnsLabel(parts: readonly string[], max = DNS_LABEL_MAX): string {
  const joined = parts.join('-');
  if (joined.length <= max && DNS_LABEL_RE.test(joined)) return joined;
  return withHash(sanitize(joined), joined, max);
}

/** Like dnsLabel but also starts with a letter (Service names, container names). */
export function dns1035Label(parts: readonly string[], max = DNS_LABEL_MAX): string {
  const joined = parts.join('-');
  if (joined.length <= max && DNS1035_LABEL_RE.test(joined)) return joined;
  const clean = sanitize(joined);
  const lettered = /^[a-z]/.test(clean) ? clean : `x${clean}`;
  return withHash(lettered, joined, max);
}

/** A valid label value (<= 63, alphanumeric at both ends); hashed when it had to change. */
export function labelValue(value: string): string {
  if (isLabelValue(value)) return value;
  const clean = value.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return withHash(clean, value, LABEL_VALUE_MAX).replace(/^[^A-Za-z0-9]+/, '');
}

/**
 * The environment's namespace: `<tenant>-<env>`. Environment names may contain '-', which would make
 * `a` + `b-c` and `a-b` + `c` collide, so such names (and over-long ones) get a hash suffix.
 */
export function defaultNamespace(tenant: string, env: string): string {
  const joined = `${tenant}-${env}`;
  if (!env.includes('-') && isDnsLabel(joined)) return joined;
  return withHash(sanitize(joined), `${tenant}\u0000${env}`, DNS_LABEL_MAX);
}

/**
 * Public hostname: the environment named `prod` answers on `<tenant>.<base>`, every other one on
 * `<env>.<tenant>.<base>` (keyed on the name, not the type, so two prod-type environments never share a host).
 */
export function environmentHostname(tenant: string, env: string, baseDomain: string): string {
  const host = env === 'prod' ? `${tenant}.${baseDomain}` : `${env}.${tenant}.${baseDomain}`;
  return host.toLowerCase();
}

/** The tenant's admin group, as the cluster's authenticator (OIDC) presents it. */
export function tenantAdminGroup(tenant: string): string {
  return `fleetplane:tenant:${tenant}:admins`;
}
