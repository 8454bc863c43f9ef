// Fleetplane's one naming convention (docs/rendering.md): the name rules (as patterns, the one copy
// each) and every generated name. Generated names are deterministic and fit Kubernetes limits:
// DNS-1123 labels (namespaces, services, monitoring objects) <= 63, subdomains <= 253, label values
// <= 63. A name that had to be shortened or rewritten gets a short hash of its full input, like cdk8s
// names.ts, so two different inputs never collapse to the same name (up to a 2^-32 collision).
import { sha256Hex } from './canonical.ts';

export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;
export const LABEL_VALUE_MAX = 63;
const HASH_LEN = 8;

/** An RFC 1123 label without anchors: lowercase letters, digits and '-', alphanumeric at both ends. */
export const DNS_LABEL_FRAGMENT = '[a-z0-9]([a-z0-9-]*[a-z0-9])?';

/**
 * The name rules as RegExp / JSON Schema patterns. The predicates below, the API's TypeBox schemas
 * (src/api/schemas.ts) and the blueprint's JSON Schema (./blueprint.ts) are all built from these; the
 * length limits are the constants above.
 */
export const NAME_PATTERNS = {
  /** RFC 1123 label (at most DNS_LABEL_MAX): namespaces, tenant slugs, environment and cluster names. */
  dnsLabel: `^${DNS_LABEL_FRAGMENT}$`,
  /** RFC 1035 label: starts with a letter (Service, component and port names). */
  dns1035Label: '^[a-z]([-a-z0-9]*[a-z0-9])?$',
  /** RFC 1123 subdomain: DNS labels joined by '.' (at most DNS_SUBDOMAIN_MAX). */
  dnsSubdomain: `^${DNS_LABEL_FRAGMENT}(\\.${DNS_LABEL_FRAGMENT})*$`,
  /** Kubernetes label value (at most LABEL_VALUE_MAX). */
  labelValue: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
} as const;

const DNS_LABEL_RE = new RegExp(NAME_PATTERNS.dnsLabel);
const DNS1035_LABEL_RE = new RegExp(NAME_PATTERNS.dns1035Label);
const LABEL_VALUE_RE = new RegExp(NAME_PATTERNS.labelValue);

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

/** The first `len` hex digits of the input's sha256: the hash suffix of generated names and ids. */
export function shortHash(input: string, len = HASH_LEN): string {
  return sha256Hex(input).slice(0, len);
}

function sanitize(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
}

/** `base-<hash of key>` cut so the whole thing fits `max`, never ending in '-'. */
function withHash(base: string, key: string, max: number): string {
  const hash = shortHash(key);
  const room = max - hash.length - 1;
  const head = base.slice(0, room).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash;
}

/**
 * Join parts with '-' into a DNS-1123 label of at most `max` characters. Used as-is when the rewrite
 * would leave it unchanged (lowercase alphanumerics and single '-' between them) and it fits;
 * otherwise rewritten (lower-cased, anything else folded to one '-'), cut, and suffixed with a short
 * hash of the parts joined by '/', so ['a-b', 'c'] and ['a', 'b-c'] hash apart (cdk8s hashes the
 * path the same way). The rendered monitoring objects are named by this (`fp-<tenant>-<env>-slo`).
 */
export function dnsLabel(parts: readonly string[], max = DNS_LABEL_MAX): string {
  const joined = parts.join('-');
  const clean = sanitize(joined);
  if (clean === joined && joined.length > 0 && joined.length <= max) return joined;
  return withHash(clean, parts.join('/'), max);
}

/** Like dnsLabel but also starts with a letter (Service names, container names). */
export function dns1035Label(parts: readonly string[], max = DNS_LABEL_MAX): string {
  const joined = parts.join('-');
  if (joined.length <= max && DNS1035_LABEL_RE.test(joined)) return joined;
  const clean = sanitize(joined);
  const lettered = /^[a-z]/.test(clean) ? clean : `x${clean}`;
  return withHash(lettered, parts.join('/'), max);
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
