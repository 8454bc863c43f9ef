// Per-environment monitoring objects: a ServiceMonitor for the environment's services, a
// PrometheusRule (RED recording rules + burn-rate SLO alerts) and the Grafana dashboard as a
// ConfigMap for the Grafana sidecar. Pure and byte-stable: same context in, same objects out. Like
// every builder, objects are built with their keys in canonical order (sorted, apiVersion/kind/
// metadata first), so serializing them takes canonicalJson's native fast path.
import { dnsLabel } from '../../domain/naming.ts';
import { LABELS, MANAGED_BY, type KubeObject } from '../../domain/types.ts';
import { validateContext } from './context.ts';
import { buildDashboard } from './dashboard.ts';
import { ruleGroups } from './rules.ts';
import type { MonitoringContext } from './types.ts';

export const DASHBOARD_LABEL = 'grafana_dashboard';
export const DASHBOARD_FOLDER_ANNOTATION = 'grafana_folder';
export const MONITORING_COMPONENT = 'observability';
export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

function objectLabels(ctx: MonitoringContext, extra: Record<string, string> = {}): Record<string, string> {
  const merged: Record<string, string> = {
    ...ctx.labels,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.tenant]: ctx.tenant,
    [LABELS.environment]: ctx.environment,
    [LABELS.component]: MONITORING_COMPONENT,
    ...extra,
  };
  // Default sort order is UTF-16 code unit order, the canonical key order.
  const out: Record<string, string> = {};
  for (const k of Object.keys(merged).sort()) out[k] = merged[k]!;
  return out;
}

/** `fp-<tenant>-<env>-<suffix>`, shortened with a hash when that is not a DNS label (domain/naming.ts). */
export function objectName(ctx: Pick<MonitoringContext, 'tenant' | 'environment'>, suffix: string): string {
  return dnsLabel(['fp', ctx.tenant, ctx.environment, suffix]);
}

// Metadata keys in canonical (sorted) order.
export function metadata(ctx: MonitoringContext, suffix: string, extra?: Record<string, string>, annotations?: Record<string, string>): KubeObject['metadata'] {
  const labels = objectLabels(ctx, extra);
  const name = objectName(ctx, suffix);
  return annotations ? { annotations, labels, name, namespace: ctx.namespace } : { labels, name, namespace: ctx.namespace };
}

export function dashboardMetadata(ctx: MonitoringContext): KubeObject['metadata'] {
  return metadata(ctx, 'dashboard', { [DASHBOARD_LABEL]: '1' }, { [DASHBOARD_FOLDER_ANNOTATION]: ctx.tenant });
}

// One endpoint per distinct (port, path); each keeps only its own services, so services with the
// same port name but different paths are scraped once, correctly.
function endpoints(ctx: MonitoringContext): Array<Record<string, unknown>> {
  const groups = new Map<string, { port: string; path: string; services: string[] }>();
  for (const s of ctx.services) {
    const path = s.path ?? '/metrics';
    const key = `${s.port} ${path}`;
    const g = groups.get(key) ?? { port: s.port, path, services: [] };
    g.services.push(s.name);
    groups.set(key, g);
  }
  return [...groups.keys()].sort().map((key) => {
    const g = groups.get(key)!;
    return {
      interval: '30s',
      path: g.path,
      port: g.port,
      relabelings: [
        { action: 'keep', regex: [...new Set(g.services)].sort().join('|'), sourceLabels: ['__meta_kubernetes_service_name'] },
        { action: 'replace', replacement: ctx.tenant, targetLabel: 'tenant' },
        { action: 'replace', replacement: ctx.environment, targetLabel: 'environment' },
      ],
      scheme: 'http',
    };
  });
}

export function serviceMonitorSpec(ctx: MonitoringContext): Record<string, unknown> {
  return {
    endpoints: endpoints(ctx),
    namespaceSelector: { matchNames: [ctx.namespace] },
    selector: { matchLabels: { [LABELS.environment]: ctx.environment, [LABELS.tenant]: ctx.tenant } },
  };
}

export function dashboardFileName(ctx: Pick<MonitoringContext, 'tenant' | 'environment'>): string {
  return `${ctx.tenant}-${ctx.environment}.json`;
}

/** The dashboard file as the ConfigMap carries it (pretty JSON; the API serves it parsed). */
export function dashboardText(ctx: MonitoringContext, uid?: string): string {
  return `${JSON.stringify(buildDashboard(ctx, uid), null, 2)}\n`;
}

export function serviceMonitor(ctx: MonitoringContext): KubeObject {
  return { apiVersion: MONITORING_API_VERSION, kind: 'ServiceMonitor', metadata: metadata(ctx, 'services'), spec: serviceMonitorSpec(ctx) };
}

export function prometheusRule(ctx: MonitoringContext): KubeObject {
  return { apiVersion: MONITORING_API_VERSION, kind: 'PrometheusRule', metadata: metadata(ctx, 'slo'), spec: { groups: ruleGroups(ctx) } };
}

export function dashboardConfigMap(ctx: MonitoringContext): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: dashboardMetadata(ctx), data: { [dashboardFileName(ctx)]: dashboardText(ctx) } };
}

/**
 * The monitoring objects of one environment, in a fixed order. No services, nothing to observe:
 * returns [] (a ServiceMonitor without endpoints is invalid). Throws InputError for a bad context.
 */
export function renderMonitoring(ctx: MonitoringContext): KubeObject[] {
  validateContext(ctx);
  if (ctx.services.length === 0) return [];
  return [serviceMonitor(ctx), prometheusRule(ctx), dashboardConfigMap(ctx)];
}
