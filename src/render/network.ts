// Network policy: deny everything, then allow exactly what the blueprint declares: DNS, the calls
// between components (talksTo), traffic from the gateway to exposed components, Prometheus scrapes
// from the monitoring namespace, declared egress CIDRs, and the Kubernetes API for components that
// have kubeAccess. Also the kubelet-probe source ambient mesh rewrites probes to.
import type { Component } from '../domain/blueprint.ts';
import type { KubeObject } from '../domain/types.ts';
import { envLabels, meta, obj } from './meta.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

const NP = 'networking.k8s.io/v1';
const NS_NAME = 'kubernetes.io/metadata.name';
/** Istio ambient SNATs kubelet probes to this address (istio.io docs, "ambient and NetworkPolicy"). */
const AMBIENT_PROBE_SOURCE = '169.254.7.127/32';

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
  const dns = { namespaceSelector: { matchLabels: { [NS_NAME]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
  return [
    policy(ctx, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ctx, 'allow-dns', {
      egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], to: [dns] }],
      podSelector: {}, policyTypes: ['Egress'],
    }),
    policy(ctx, 'allow-mesh-probes', { ingress: [{ from: [{ ipBlock: { cidr: AMBIENT_PROBE_SOURCE } }] }], podSelector: {}, policyTypes: ['Ingress'] }),
  ];
}

function ingressRules(ctx: RenderContext, c: Component, all: readonly Component[]): Rule[] {
  const rules: Rule[] = [];
  const ports = (c.ports ?? []).map((p) => p.port);
  const callers = all.filter((o) => o.talksTo?.includes(c.name));
  if (callers.length > 0 && ports.length > 0) rules.push({ from: callers.map((o) => ({ podSelector: podsOf(o) })), ports: tcp(ports) });
  const portOf = (name: string): number[] => (c.ports ?? []).filter((p) => p.name === name).map((p) => p.port);
  if (c.expose) rules.push({ from: [{ namespaceSelector: { matchLabels: { [NS_NAME]: ctx.platform.ingressNamespace } } }], ports: tcp(portOf(c.expose.port)) });
  if (c.metrics) rules.push({ from: [{ namespaceSelector: { matchLabels: { [NS_NAME]: ctx.platform.monitoringNamespace } } }], ports: tcp(portOf(c.metrics.port)) });
  return rules;
}

function egressRules(c: Component, all: readonly Component[]): Rule[] {
  const rules: Rule[] = [];
  for (const target of all.filter((o) => c.talksTo?.includes(o.name))) {
    const ports = (target.ports ?? []).map((p) => p.port);
    rules.push({ ports: ports.length > 0 ? tcp(ports) : undefined, to: [{ podSelector: podsOf(target) }] });
  }
  for (const e of c.egress ?? []) {
    const to = [{ ipBlock: { cidr: e.cidr, except: e.except } }];
    rules.push({ ports: e.ports ? tcp(e.ports) : undefined, to });
  }
  // The API server's address differs per cluster (and per node for host-network endpoints).
  if (c.kubeAccess) rules.push({ ports: tcp([443, 6443]) });
  return rules;
}

function componentPolicy(ctx: RenderContext, r: ResolvedComponent, all: readonly Component[]): KubeObject | null {
  const ingress = ingressRules(ctx, r.spec, all);
  const egress = egressRules(r.spec, all);
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
