// Network policy: deny everything, then allow exactly what the blueprint declares: DNS, the calls
// between components (talksTo), traffic from the gateway to exposed components, Prometheus scrapes
// from the monitoring namespace, declared egress CIDRs, and the Kubernetes API for components that
// have kubeAccess. Also the kubelet-probe source ambient mesh rewrites probes to.
//
// Ambient mesh (docs/isolation.md): once pods are enrolled, ztunnel carries pod-to-pod traffic to
// port 15008 (HBONE) of the destination pod, so every mesh edge is allowed on its app port (traffic
// before enrollment, or from outside the mesh) and on 15008; with a waypoint, every pod may reach
// the waypoint on 15008 and the waypoint every pod on 15008.
import type { Component, EgressRule } from '../domain/blueprint.ts';
import { InputError } from '../domain/errors.ts';
import type { KubeObject } from '../domain/types.ts';
import { envLabels, meta, obj, sortedMap } from './meta.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

const NP = 'networking.k8s.io/v1';
const NS_NAME = 'kubernetes.io/metadata.name';
/** Istio ambient SNATs kubelet probes to this address (istio.io docs, "ambient and NetworkPolicy"). */
const AMBIENT_PROBE_SOURCE = '169.254.7.127/32';
/** Istio ambient's HBONE port: ztunnel-to-ztunnel (and waypoint) tunnels end here on the destination pod. */
export const HBONE_PORT = 15008;
/** Label Istio puts on a waypoint's pods (Gateway API's gateway-name label). */
const WAYPOINT_POD_LABEL = 'gateway.networking.k8s.io/gateway-name';

type Peer = Record<string, unknown>;
type Rule = { from?: Peer[]; to?: Peer[]; ports?: Array<{ protocol: string; port: number | string }> };

function policy(ctx: RenderContext, name: string, spec: Record<string, unknown>): KubeObject {
  return obj(NP, 'NetworkPolicy', meta(ctx, name, envLabels(ctx)), { spec });
}

/** Pods of a component: our own by component label, a Helm release by its instance label. */
export function podsOf(c: Component): Record<string, unknown> {
  return c.kind === 'helm-chart'
    ? { matchLabels: { 'app.kubernetes.io/instance': c.name } }
    : { matchLabels: { 'fleetplane.io/component': c.name } };
}

function tcp(ports: Array<number | string>): Rule['ports'] {
  return ports.map((port) => ({ port, protocol: 'TCP' }));
}

function baseline(ctx: RenderContext): KubeObject[] {
  const dns: Peer[] = [{ namespaceSelector: { matchLabels: { [NS_NAME]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }];
  // NodeLocal DNSCache answers on a link-local address on every node, outside any pod selector.
  if (ctx.platform.nodeLocalDnsAddress) dns.push({ ipBlock: { cidr: `${ctx.platform.nodeLocalDnsAddress}/32` } });
  const out = [
    policy(ctx, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ctx, 'allow-dns', {
      egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], to: dns }],
      podSelector: {}, policyTypes: ['Egress'],
    }),
    policy(ctx, 'allow-mesh-probes', { ingress: [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }], podSelector: {}, policyTypes: ['Ingress'] }),
  ];
  const waypoint = ctx.platform.waypoint;
  if (waypoint) {
    const wp = { matchLabels: { [WAYPOINT_POD_LABEL]: waypoint } };
    const hbone = tcp([HBONE_PORT]);
    // Every pod <-> the namespace's waypoint, on HBONE only...
    out.push(policy(ctx, 'allow-to-waypoint', {
      egress: [{ ports: hbone, to: [{ podSelector: wp }] }], ingress: [{ from: [{ podSelector: wp }], ports: hbone }],
      podSelector: {}, policyTypes: ['Ingress', 'Egress'],
    }));
    // ...and the waypoint accepts from this namespace's pods and the gateway, and forwards to this namespace's pods.
    const gateway = { namespaceSelector: { matchLabels: { [NS_NAME]: ctx.platform.ingressNamespace } } };
    out.push(policy(ctx, 'allow-waypoint', {
      egress: [{ ports: hbone, to: [{ podSelector: {} }] }], ingress: [{ from: [{ podSelector: {} }, gateway], ports: hbone }],
      podSelector: wp, policyTypes: ['Ingress', 'Egress'],
    }));
  }
  return out;
}

/** The ports of a mesh edge: the app's ports plus HBONE. */
function meshPorts(ports: number[]): Rule['ports'] {
  return tcp([...ports, HBONE_PORT]);
}

function ingressRules(ctx: RenderContext, c: Component, all: readonly Component[]): Rule[] {
  const rules: Rule[] = [];
  const ports = (c.ports ?? []).map((p) => p.port);
  const callers = all.filter((o) => o.talksTo?.includes(c.name));
  if (callers.length > 0 && ports.length > 0) rules.push({ from: callers.map((o) => ({ podSelector: podsOf(o) })), ports: meshPorts(ports) });
  const portOf = (name: string): number[] => (c.ports ?? []).filter((p) => p.name === name).map((p) => p.port);
  // The gateway and Prometheus may be in the mesh too: their traffic then arrives on HBONE.
  if (c.expose) rules.push({ from: [{ namespaceSelector: { matchLabels: { [NS_NAME]: ctx.platform.ingressNamespace } } }], ports: meshPorts(portOf(c.expose.port)) });
  if (c.metrics) rules.push({ from: [{ namespaceSelector: { matchLabels: { [NS_NAME]: ctx.platform.monitoringNamespace } } }], ports: meshPorts(portOf(c.metrics.port)) });
  return rules;
}

function cidrsOf(ctx: RenderContext, c: Component, e: EgressRule, i: number): string[] {
  if (e.cidr) return [e.cidr];
  const cidrs = ctx.platform.egressTargets[e.target!];
  if (!cidrs) {
    const field = `/spec/components/${ctx.blueprint.spec.components.indexOf(c)}/egress/${i}/target`;
    throw new InputError(`invalid render input: ${field} names no egress target of the platform (${Object.keys(ctx.platform.egressTargets).join(', ') || 'none defined'})`, [{ field, message: 'unknown egress target' }]);
  }
  return cidrs;
}

function egressRules(ctx: RenderContext, c: Component, all: readonly Component[]): Rule[] {
  const rules: Rule[] = [];
  for (const target of all.filter((o) => c.talksTo?.includes(o.name))) {
    const ports = (target.ports ?? []).map((p) => p.port);
    // A talksTo target without ports gets nothing: "any port" would be wider than the edge.
    if (ports.length > 0) rules.push({ ports: meshPorts(ports), to: [{ podSelector: podsOf(target) }] });
  }
  (c.egress ?? []).forEach((e, i) => {
    const to = cidrsOf(ctx, c, e, i).map((cidr) => ({ ipBlock: { cidr, except: e.except } }));
    rules.push({ ports: e.ports ? tcp(e.ports) : undefined, to });
  });
  if (c.kubeAccess) rules.push({ ports: tcp([443, 6443]), to: ctx.platform.kubeApiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })) });
  return rules;
}

function componentPolicy(ctx: RenderContext, r: ResolvedComponent, all: readonly Component[]): KubeObject | null {
  const ingress = ingressRules(ctx, r.spec, all);
  const egress = egressRules(ctx, r.spec, all);
  if (ingress.length === 0 && egress.length === 0) return null;
  const policyTypes = [...(ingress.length ? ['Ingress'] : []), ...(egress.length ? ['Egress'] : [])];
  const spec: Record<string, unknown> = { egress: egress.length ? egress : undefined, ingress: ingress.length ? ingress : undefined, podSelector: podsOf(r.spec), policyTypes };
  return policy(ctx, `allow-${r.spec.name}`, spec);
}

export function renderNetwork(ctx: RenderContext): KubeObject[] {
  const all = ctx.components.map((c) => c.spec);
  const out = baseline(ctx);
  for (const r of ctx.components) {
    const p = componentPolicy(ctx, r, all);
    if (p) out.push(p);
  }
  return out;
}

/**
 * The namespace's waypoint when the platform enables one (Istio ambient L7): a Gateway of class
 * istio-waypoint listening on HBONE; the Namespace carries istio.io/use-waypoint (namespace.ts).
 */
export function renderWaypoint(ctx: RenderContext): KubeObject[] {
  const name = ctx.platform.waypoint;
  if (!name) return [];
  const m = meta(ctx, name, sortedMap({ ...envLabels(ctx), 'istio.io/waypoint-for': 'service' }));
  return [obj('gateway.networking.k8s.io/v1', 'Gateway', m, {
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }] },
  })];
}
