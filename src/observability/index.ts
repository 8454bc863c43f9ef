// Per-environment observability objects: a ServiceMonitor for the environment's services, a
// PrometheusRule (RED recording rules + burn-rate SLO alerts) and the Grafana dashboard as a
// ConfigMap for the Grafana sidecar. Pure and byte-stable: same context in, same objects out.
import { InputError, type FieldIssue } from '../domain/errors.ts';
import { LABELS, MANAGED_BY, type KubeObject } from '../domain/types.ts';
import { buildDashboard } from './dashboard.ts';
import { dnsName } from './names.ts';
import { ruleGroups } from './rules.ts';
import type { ObservabilityContext, ObservedService } from './types.ts';

export type { ObservabilityContext, ObservedService } from './types.ts';
export { buildDashboard, dashboardUid, type Dashboard } from './dashboard.ts';
export { ruleGroups, RECORDED, ALERTS } from './rules.ts';
export { OBJECTIVES, BURN_WINDOWS, objectivesFor } from './slo.ts';
export { SERVICE_METRICS } from './types.ts';

export const DASHBOARD_LABEL = 'grafana_dashboard';
export const DASHBOARD_FOLDER_ANNOTATION = 'grafana_folder';
export const OBSERVABILITY_COMPONENT = 'observability';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Kubernetes named ports: IANA_SVC_NAME, at most 15 characters, at least one letter.
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;
const PATH = /^\/[A-Za-z0-9._~/-]*$/;

function serviceIssues(s: ObservedService, i: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!DNS_LABEL.test(s.name)) issues.push({ field: `/services/${i}/name`, message: 'must be a DNS label' });
  if (!PORT_NAME.test(s.port)) issues.push({ field: `/services/${i}/port`, message: 'must be a named port (IANA service name)' });
  if (s.path !== undefined && !PATH.test(s.path)) issues.push({ field: `/services/${i}/path`, message: 'must be an absolute URL path' });
  return issues;
}

export function validateContext(ctx: ObservabilityContext): void {
  const issues: FieldIssue[] = [];
  for (const f of ['tenant', 'environment', 'namespace'] as const) {
    if (!DNS_LABEL.test(ctx[f])) issues.push({ field: `/${f}`, message: 'must be a DNS label' });
  }
  if (!['shared', 'dedicated', 'hybrid'].includes(ctx.tier)) issues.push({ field: '/tier', message: 'must be shared, dedicated or hybrid' });
  if (!['prod', 'staging', 'dev'].includes(ctx.envType)) issues.push({ field: '/envType', message: 'must be prod, staging or dev' });
  ctx.services.forEach((s, i) => issues.push(...serviceIssues(s, i)));
  if (issues.length > 0) throw new InputError(`invalid observability context: ${issues[0]!.field} ${issues[0]!.message}`, issues);
}

function objectLabels(ctx: ObservabilityContext, extra: Record<string, string> = {}): Record<string, string> {
  const merged: Record<string, string> = {
    ...ctx.labels,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.tenant]: ctx.tenant,
    [LABELS.environment]: ctx.environment,
    [LABELS.component]: OBSERVABILITY_COMPONENT,
    ...extra,
  };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function metadata(ctx: ObservabilityContext, suffix: string, extra?: Record<string, string>): KubeObject['metadata'] {
  return { name: dnsName('fp', ctx.tenant, ctx.environment, suffix), namespace: ctx.namespace, labels: objectLabels(ctx, extra) };
}

// One endpoint per distinct (port, path); each keeps only its own services, so services with the
// same port name but different paths are scraped once, correctly.
function endpoints(ctx: ObservabilityContext): Array<Record<string, unknown>> {
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
      port: g.port,
      path: g.path,
      interval: '30s',
      scheme: 'http',
      relabelings: [
        { action: 'keep', sourceLabels: ['__meta_kubernetes_service_name'], regex: [...new Set(g.services)].sort().join('|') },
        { action: 'replace', targetLabel: 'tenant', replacement: ctx.tenant },
        { action: 'replace', targetLabel: 'environment', replacement: ctx.environment },
      ],
    };
  });
}

export function serviceMonitor(ctx: ObservabilityContext): KubeObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: metadata(ctx, 'services'),
    spec: {
      endpoints: endpoints(ctx),
      namespaceSelector: { matchNames: [ctx.namespace] },
      selector: { matchLabels: { [LABELS.environment]: ctx.environment, [LABELS.tenant]: ctx.tenant } },
    },
  };
}

export function prometheusRule(ctx: ObservabilityContext): KubeObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: metadata(ctx, 'slo'),
    spec: { groups: ruleGroups(ctx) },
  };
}

export function dashboardFileName(ctx: Pick<ObservabilityContext, 'tenant' | 'environment'>): string {
  return `${ctx.tenant}-${ctx.environment}.json`;
}

export function dashboardConfigMap(ctx: ObservabilityContext): KubeObject {
  const meta = metadata(ctx, 'dashboard', { [DASHBOARD_LABEL]: '1' });
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...meta, annotations: { [DASHBOARD_FOLDER_ANNOTATION]: ctx.tenant } },
    data: { [dashboardFileName(ctx)]: `${JSON.stringify(buildDashboard(ctx), null, 2)}\n` },
  };
}

/**
 * Observability objects of one environment, in a fixed order. No services, nothing to observe:
 * returns [] (a ServiceMonitor without endpoints is invalid).
 */
export function renderObservability(ctx: ObservabilityContext): KubeObject[] {
  validateContext(ctx);
  if (ctx.services.length === 0) return [];
  return [serviceMonitor(ctx), prometheusRule(ctx), dashboardConfigMap(ctx)];
}
