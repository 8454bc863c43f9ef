// Per-environment observability objects: a ServiceMonitor for the environment's services, a
// PrometheusRule (RED recording rules + burn-rate SLO alerts) and the Grafana dashboard as a
// ConfigMap for the Grafana sidecar. Pure and byte-stable: same context in, same objects out.
import { InputError, type FieldIssue } from '../domain/errors.ts';
import { LABELS, MANAGED_BY, type KubeObject } from '../domain/types.ts';
import { canonicalJson } from '../domain/canonical.ts';
import { buildDashboard, dashboardUid } from './dashboard.ts';
import { dnsName } from './names.ts';
import { ruleGroups, type RuleGroup } from './rules.ts';
import { runbookBaseIssue } from './runbooks.ts';
import { compile, compileText, fillText, slot, type Stencil, type TextStencil } from '../render/stencil.ts';
import type { ObservabilityContext, ObservedService } from './types.ts';

export type { ObservabilityContext, ObservedService } from './types.ts';
export { buildDashboard, dashboardUid, type Dashboard } from './dashboard.ts';
export { ruleGroups, RECORDED, ALERTS } from './rules.ts';
export { OBJECTIVES, BURN_WINDOWS, objectivesFor } from './slo.ts';
export { DEFAULT_RUNBOOK_BASE, RUNBOOK_PAGES, resolveRunbookBase, runbookBaseIssue } from './runbooks.ts';
export { SERVICE_METRICS } from './types.ts';

export const DASHBOARD_LABEL = 'grafana_dashboard';
export const DASHBOARD_FOLDER_ANNOTATION = 'grafana_folder';
export const OBSERVABILITY_COMPONENT = 'observability';
const MONITORING = 'monitoring.coreos.com/v1';

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
  const runbook = ctx.runbookBase === undefined ? null : runbookBaseIssue(ctx.runbookBase);
  if (runbook) issues.push({ field: '/runbookBase', message: runbook });
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
  // Default sort order is UTF-16 code unit order, the canonical key order.
  const out: Record<string, string> = {};
  for (const k of Object.keys(merged).sort()) out[k] = merged[k]!;
  return out;
}

// Metadata keys in canonical (sorted) order.
function metadata(ctx: ObservabilityContext, suffix: string, extra?: Record<string, string>, annotations?: Record<string, string>): KubeObject['metadata'] {
  const labels = objectLabels(ctx, extra);
  const name = dnsName('fp', ctx.tenant, ctx.environment, suffix);
  return annotations ? { annotations, labels, name, namespace: ctx.namespace } : { labels, name, namespace: ctx.namespace };
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

function serviceMonitorSpec(ctx: ObservabilityContext): Record<string, unknown> {
  return {
    endpoints: endpoints(ctx),
    namespaceSelector: { matchNames: [ctx.namespace] },
    selector: { matchLabels: { [LABELS.environment]: ctx.environment, [LABELS.tenant]: ctx.tenant } },
  };
}

export function dashboardFileName(ctx: Pick<ObservabilityContext, 'tenant' | 'environment'>): string {
  return `${ctx.tenant}-${ctx.environment}.json`;
}

function dashboardText(ctx: ObservabilityContext, uid?: string): string {
  return `${JSON.stringify(buildDashboard(ctx, uid), null, 2)}\n`;
}

/**
 * Everything about an environment's observability objects that depends only on tier, environment
 * type, services and runbook base, built once with slots for tenant (0), environment (1), namespace
 * (2) and the dashboard uid (3). Filled per environment by string joins (stencil.ts).
 */
interface Shape {
  serviceMonitor: Stencil<Record<string, unknown>>;
  rules: Stencil<{ groups: RuleGroup[] }>;
  dashboard: TextStencil;
  /** The dashboard text as a JSON string literal without its quotes (canonical JSON of the ConfigMap). */
  dashboardEscaped: TextStencil;
}

const SLOTS = [slot(0), slot(1), slot(2), slot(3)] as const;
const shapes = new Map<string, Shape>();
const SHAPES_MAX = 1000;

function shapeOf(ctx: ObservabilityContext): Shape {
  const key = JSON.stringify([ctx.tier, ctx.envType, ctx.services, ctx.runbookBase ?? null]);
  let shape = shapes.get(key);
  if (!shape) {
    const sym: ObservabilityContext = { ...ctx, tenant: SLOTS[0], environment: SLOTS[1], namespace: SLOTS[2] };
    const text = dashboardText(sym, SLOTS[3]);
    shape = {
      serviceMonitor: compile(serviceMonitorSpec(sym)),
      rules: compile({ groups: ruleGroups(sym) }),
      dashboard: compileText(text),
      dashboardEscaped: compileText(JSON.stringify(text).slice(1, -1)),
    };
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

/** An object and its canonical JSON (render/canonical.ts), built together so nothing is serialized twice. */
export interface CanonicalObject {
  object: KubeObject;
  json: string;
}

/** `head` is the object without its one body member `key`, which has canonical JSON `bodyJson`. */
function withJson(head: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, key: string, body: unknown, bodyJson: string): CanonicalObject {
  const { apiVersion, kind, metadata } = head;
  const json = `{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":${canonicalJson(metadata)},${JSON.stringify(key)}:${bodyJson}}`;
  return { object: { apiVersion, kind, metadata, [key]: body }, json };
}

/** Observability objects with their canonical JSON; see renderObservability. */
export function renderObservabilityCanonical(ctx: ObservabilityContext): CanonicalObject[] {
  validateContext(ctx);
  if (ctx.services.length === 0) return [];
  const shape = shapeOf(ctx);
  const values = [ctx.tenant, ctx.environment, ctx.namespace, dashboardUid(ctx.tenant, ctx.environment)];
  const sm = shape.serviceMonitor.fill(values);
  const rules = shape.rules.fill(values);
  const file = dashboardFileName(ctx);
  const cmMeta = metadata(ctx, 'dashboard', { [DASHBOARD_LABEL]: '1' }, { [DASHBOARD_FOLDER_ANNOTATION]: ctx.tenant });
  return [
    withJson({ apiVersion: MONITORING, kind: 'ServiceMonitor', metadata: metadata(ctx, 'services') }, 'spec', sm.value, sm.json),
    withJson({ apiVersion: MONITORING, kind: 'PrometheusRule', metadata: metadata(ctx, 'slo') }, 'spec', rules.value, rules.json),
    withJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: cmMeta }, 'data', { [file]: fillText(shape.dashboard, values) }, `{${JSON.stringify(file)}:"${fillText(shape.dashboardEscaped, values)}"}`),
  ];
}

export function serviceMonitor(ctx: ObservabilityContext): KubeObject {
  return { apiVersion: MONITORING, kind: 'ServiceMonitor', metadata: metadata(ctx, 'services'), spec: serviceMonitorSpec(ctx) };
}

export function prometheusRule(ctx: ObservabilityContext): KubeObject {
  return { apiVersion: MONITORING, kind: 'PrometheusRule', metadata: metadata(ctx, 'slo'), spec: { groups: ruleGroups(ctx) } };
}

export function dashboardConfigMap(ctx: ObservabilityContext): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(ctx, 'dashboard', { [DASHBOARD_LABEL]: '1' }, { [DASHBOARD_FOLDER_ANNOTATION]: ctx.tenant }),
    data: { [dashboardFileName(ctx)]: dashboardText(ctx) },
  };
}

/**
 * Observability objects of one environment, in a fixed order. No services, nothing to observe:
 * returns [] (a ServiceMonitor without endpoints is invalid).
 */
export function renderObservability(ctx: ObservabilityContext): KubeObject[] {
  return renderObservabilityCanonical(ctx).map((o) => o.object);
}
