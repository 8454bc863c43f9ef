// The pods an environment's rendered objects would run, as simulator endpoints (./netpol.ts): one per
// Deployment and CronJob (their pod template labels) and one per Helm-chart component (the release's
// instance label, which Fleetplane's policies select chart pods by). Addresses are synthetic and
// distinct per pod, from a pod CIDR that overlaps no egress target of the default platform.
import type { KubeObject } from '../../domain/types.ts';
import type { RenderResult } from '../types.ts';
import type { Endpoint } from './netpol.ts';

export interface SimPod extends Endpoint { component: string }

type Template = { metadata?: { labels?: Record<string, string> } };

function templateOf(o: KubeObject): Template | undefined {
  const spec = o.spec as { template?: Template; jobTemplate?: { spec?: { template?: Template } } } | undefined;
  if (o.kind === 'Deployment') return spec?.template;
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template;
  return undefined;
}

/** Pods of one rendered environment; `index` keeps addresses of different environments apart. */
export function podsOf(r: RenderResult, index: number): SimPod[] {
  const objects = r.objects.map((o) => o.object);
  const ns = objects.find((o) => o.kind === 'Namespace');
  const nsLabels = { ...(ns?.metadata.labels ?? {}) };
  const ip = (i: number) => `10.244.${index % 256}.${i + 1}`;
  const out: SimPod[] = [];
  for (const o of objects) {
    const t = templateOf(o);
    if (t) out.push({ component: o.metadata.name, namespace: r.namespace, nsLabels, labels: { ...(t.metadata?.labels ?? {}) }, ip: ip(out.length) });
  }
  for (const h of r.helmValues) {
    out.push({ component: h.component, namespace: r.namespace, nsLabels, labels: { 'app.kubernetes.io/instance': h.releaseName, 'app.kubernetes.io/name': h.chart }, ip: ip(out.length) });
  }
  return out;
}

/** A pod of the platform's namespace (gateway, monitoring), or the waypoint of an environment. */
export function platformPod(namespace: string, labels: Record<string, string>, ip: string): Endpoint {
  return { namespace, nsLabels: {}, labels, ip };
}
