// Monitoring objects come from the observability module (ServiceMonitor, PrometheusRule with RED
// recording rules and burn-rate SLO alerts, Grafana dashboard ConfigMap); this adapts the context.
import { renderObservabilityCanonical, type CanonicalObject, type ObservabilityContext } from '../observability/index.ts';
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
    runbookBase: ctx.platform.runbookBaseUrl,
  };
}

/**
 * The observability objects with their canonical JSON, built together from per-shape stencils
 * (src/observability/stencil.ts) so the ~40 KB of rules and dashboard are never re-serialized.
 */
export function renderMonitoring(ctx: RenderContext): CanonicalObject[] {
  return renderObservabilityCanonical(observabilityContext(ctx));
}
