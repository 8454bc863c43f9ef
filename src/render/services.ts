// How components are reached and kept available: Services, the public route (Gateway API HTTPRoute
// or Ingress) on the environment's hostname, HorizontalPodAutoscalers and PodDisruptionBudgets.
import type { KubeObject } from '../domain/types.ts';
import { componentLabels, meta, obj, selectorOf } from './meta.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';
import { scaledObject } from './ai/serving.ts';

const DEFAULT_CPU_TARGET = 70;

/** Components behind a Service of ours: KServe and Knative create their own; jobs serve nothing. */
function served(c: ResolvedComponent): boolean {
  return c.choice.form === 'Deployment' && (c.spec.ports?.length ?? 0) > 0;
}

/** Exposed components: ours through our Service; a Knative Service or InferenceService answers under its own Service name. */
function routed(c: ResolvedComponent): boolean {
  return (served(c) || c.choice.form === 'KnativeService') && !!c.spec.expose;
}

function service(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const ports = c.spec.ports!.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.name }));
  return obj('v1', 'Service', meta(ctx, c.spec.name, componentLabels(ctx, c)), { spec: { ports, selector: selectorOf(c), type: 'ClusterIP' } });
}

function portNumber(c: ResolvedComponent, name: string): number {
  return c.spec.ports!.find((p) => p.name === name)!.port;
}

function httpRoute(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const g = ctx.platform.gateway;
  const parentRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: g.name, namespace: g.namespace, sectionName: g.sectionName };
  const rule = {
    backendRefs: [{ group: '', kind: 'Service', name: c.spec.name, port: portNumber(c, c.spec.expose!.port), weight: 1 }],
    matches: [{ path: { type: 'PathPrefix', value: c.spec.expose!.path ?? '/' } }],
  };
  return obj('gateway.networking.k8s.io/v1', 'HTTPRoute', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: { hostnames: [ctx.hostname], parentRefs: [parentRef], rules: [rule] },
  });
}

function ingress(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const path = { backend: { service: { name: c.spec.name, port: { name: c.spec.expose!.port } } }, path: c.spec.expose!.path ?? '/', pathType: 'Prefix' };
  return obj('networking.k8s.io/v1', 'Ingress', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: { ingressClassName: ctx.platform.ingressClassName, rules: [{ host: ctx.hostname, http: { paths: [path] } }] },
  });
}

function hpa(ctx: RenderContext, c: ResolvedComponent): KubeObject {
  const s = c.scaling!;
  return obj('autoscaling/v2', 'HorizontalPodAutoscaler', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: {
      maxReplicas: s.max,
      metrics: [{ resource: { name: 'cpu', target: { averageUtilization: s.targetCPUUtilization ?? DEFAULT_CPU_TARGET, type: 'Utilization' } }, type: 'Resource' }],
      minReplicas: s.min,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: c.spec.name },
    },
  });
}

/** A PDB only where it can be honoured: with one replica it would block every node drain. */
function pdb(ctx: RenderContext, c: ResolvedComponent): KubeObject | null {
  const floor = c.choice.minReplicas;
  if (!c.disruption || floor < 2) return null;
  return obj('policy/v1', 'PodDisruptionBudget', meta(ctx, c.spec.name, componentLabels(ctx, c)), {
    spec: { ...c.disruption, selector: { matchLabels: selectorOf(c) } },
  });
}

export function renderServices(ctx: RenderContext): KubeObject[] {
  return ctx.components.filter(served).map((c) => service(ctx, c));
}

export function renderRoutes(ctx: RenderContext): KubeObject[] {
  const exposed = ctx.components.filter(routed);
  return exposed.map((c) => (ctx.platform.routing === 'ingress' ? ingress(ctx, c) : httpRoute(ctx, c)));
}

export function renderAvailability(ctx: RenderContext): KubeObject[] {
  const out: KubeObject[] = [];
  for (const c of ctx.components) {
    if (c.choice.form !== 'Deployment') continue;
    if (c.choice.scaler === 'HorizontalPodAutoscaler') out.push(hpa(ctx, c));
    if (c.choice.scaler === 'ScaledObject') out.push(scaledObject(ctx, c));
    const budget = pdb(ctx, c);
    if (budget) out.push(budget);
  }
  return out;
}
