// A NetworkPolicy simulator over rendered objects (docs/isolation.md, "Proving the network story").
// The testbed has no CNI, so nothing enforces NetworkPolicy there; this evaluates the
// networking.k8s.io/v1 semantics (policies select pods in their own namespace; a pod selected by no
// policy of a direction is open in that direction; otherwise a connection needs a matching rule on
// both the source's egress and the destination's ingress; peers are podSelector (same namespace),
// namespaceSelector (+ podSelector), ipBlock with except; rules without ports match every port) for
// concrete pods and ports. In the ambient mesh a pod-to-pod connection reaches the destination on
// HBONE (15008), through the namespace's waypoint when one is enabled: reachMesh models that.
// Limits: no named ports (Fleetplane renders numbers), no endPort, no SCTP, no node/host-network
// peers; CNIs differ on whether ipBlock matches pod IPs (we assume it does, the stricter reading for
// egress isolation tests that expect a deny).
import type { KubeObject } from '../../domain/types.ts';

export interface Endpoint {
  namespace: string;
  /** The namespace's labels (kubernetes.io/metadata.name is added automatically). */
  nsLabels: Record<string, string>;
  labels: Record<string, string>;
  ip: string;
}

interface Selector { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } }
interface PortSpec { port?: number | string; protocol?: string; endPort?: number }
interface Rule { from?: Peer[]; to?: Peer[]; ports?: PortSpec[] }
interface PolicySpec { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] }

export const HBONE = 15008;

export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'Exists') return has;
    if (e.operator === 'DoesNotExist') return !has;
    if (e.operator === 'In') return has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !(e.values ?? []).includes(labels[e.key]!);
    return false;
  });
}

function ipv4(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || base.includes(':') || ip.includes(':')) return false;
  const n = Number(bits);
  const size = 2 ** (32 - n);
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function nsLabelsOf(e: Endpoint): Record<string, string> {
  return { ...e.nsLabels, 'kubernetes.io/metadata.name': e.namespace };
}

function peerMatches(p: Peer, policyNs: string, other: Endpoint): boolean {
  if (p.ipBlock) return inCidr(other.ip, p.ipBlock.cidr) && !(p.ipBlock.except ?? []).some((x) => inCidr(other.ip, x));
  if (p.namespaceSelector) return selects(p.namespaceSelector, nsLabelsOf(other)) && selects(p.podSelector, other.labels);
  return other.namespace === policyNs && selects(p.podSelector, other.labels);
}

function portMatches(ports: PortSpec[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || (typeof p.port === 'number' && port >= p.port && port <= (p.endPort ?? p.port))));
}

function typesOf(s: PolicySpec): string[] {
  return s.policyTypes ?? (s.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** Whether `self`'s policies of this direction let it talk to `other` on the port. */
function side(policies: readonly KubeObject[], self: Endpoint, other: Endpoint, dir: 'Ingress' | 'Egress', conn: { port: number; protocol: string }): boolean {
  const { port, protocol } = conn;
  const mine = policies.filter((p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === self.namespace)
    .map((p) => p.spec as PolicySpec)
    .filter((s) => typesOf(s).includes(dir) && selects(s.podSelector, self.labels));
  if (mine.length === 0) return true;
  return mine.some((s) => ((dir === 'Ingress' ? s.ingress : s.egress) ?? []).some((r) => {
    const peers = dir === 'Ingress' ? r.from : r.to;
    return portMatches(r.ports, port, protocol) && (!peers || peers.length === 0 || peers.some((p) => peerMatches(p, self.namespace, other)));
  }));
}

/** A plain connection src -> dst:port, as a NetworkPolicy-enforcing CNI would judge it. */
export function allowed(policies: readonly KubeObject[], src: Endpoint, dst: Endpoint, port: number, protocol = 'TCP'): boolean {
  return side(policies, src, dst, 'Egress', { port, protocol }) && side(policies, dst, src, 'Ingress', { port, protocol });
}

/**
 * A connection inside the ambient mesh: ztunnel tunnels it to HBONE on the destination pod, or on
 * the waypoint first and from there to the destination when the namespace has one.
 */
export function reachMesh(policies: readonly KubeObject[], src: Endpoint, dst: Endpoint, waypoint?: Endpoint): boolean {
  if (waypoint && waypoint.namespace === dst.namespace) return allowed(policies, src, waypoint, HBONE) && allowed(policies, waypoint, dst, HBONE);
  return allowed(policies, src, dst, HBONE);
}
