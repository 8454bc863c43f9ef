// Monitoring objects come from the observability module (ServiceMonitor, PrometheusRule with RED
// recording rules and burn-rate SLO alerts, Grafana dashboard ConfigMap); this adapts the context.
import type { KubeObject } from '../domain/types.ts';
import { renderObservability, type ObservabilityContext } from '../observability/index.ts';
import { envLabels } from './meta.ts';
import type { RenderContext } from './types.ts';

export function observabilityContext(ctx: RenderContext): ObservabilityContext {
  const services = ctx.components
    .filter((c) => c.spec.metrics && c.spec.kind !== 'helm-chart' && c.spec.kind !== 'cron-job')
    .map((c) => ({ name: c.spec.name, component: c.spec.name, port: c.spec.metrics!.port, path: c.spec.metrics!.path }));
  return {
    tenant: ctx.tenant.slug,
    environment: ctx.env.name,
    envType: ctx.env.type,
    namespace: ctx.namespace,
    tier: ctx.tenant.tier,
    labels: envLabels(ctx),
    services,
  };
}

/** Metadata keys in sorted order, so these objects take the fast canonical path too (canonical.ts). */
function sortedMetadata(o: KubeObject): KubeObject {
  const { annotations, labels, name, namespace, ...rest } = o.metadata;
  const { apiVersion, kind, metadata: _m, ...body } = o;
  return { apiVersion, kind, metadata: { annotations, labels, name, namespace, ...rest }, ...body };
}

export function renderMonitoring(ctx: RenderContext): KubeObject[] {
  return renderObservability(observabilityContext(ctx)).map(sortedMetadata);
}
