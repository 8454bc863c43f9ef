// Monitoring objects for bulk rendering: everything about an environment's ServiceMonitor spec,
// PrometheusRule spec and dashboard that depends only on tier, environment type, services and
// runbook base is built once per such shape with slots for tenant (0), environment (1), namespace (2)
// and the dashboard uid (3), then filled per environment by string joins; metadata (names with
// hashes, labels) is built per environment as in the direct path. Like ./shape.ts, a shape is used
// only once it reproduces the direct build (../monitoring/objects.ts) byte for byte for the
// environment at hand and for a probe environment; otherwise that shape renders directly.
import { canonicalJson } from '../../domain/canonical.ts';
import type { KubeObject } from '../../domain/types.ts';
import { validateContext } from '../monitoring/context.ts';
import { dashboardUid } from '../monitoring/dashboard.ts';
import { dashboardFileName, dashboardMetadata, dashboardText, metadata, MONITORING_API_VERSION, renderMonitoring, serviceMonitorSpec } from '../monitoring/objects.ts';
import { ruleGroups, type RuleGroup } from '../monitoring/rules.ts';
import type { MonitoringContext } from '../monitoring/types.ts';
import type { CanonicalObject } from '../types.ts';
import { checkSlotValues, compile, compileText, fillText, slot, type Stencil, type TextStencil } from './stencil.ts';

export interface MonitoringShape {
  serviceMonitor: Stencil<Record<string, unknown>>;
  rules: Stencil<{ groups: RuleGroup[] }>;
  dashboard: TextStencil;
  /** The dashboard text as a JSON string literal without its quotes (canonical JSON of the ConfigMap). */
  dashboardEscaped: TextStencil;
}

const SLOTS = [slot(0), slot(1), slot(2), slot(3)] as const;
/** null: this shape did not reproduce the direct build and renders directly. */
const shapes = new Map<string, MonitoringShape | null>();
const SHAPES_MAX = 1000;

/** `head` is the object without its one body member `key`, which has canonical JSON `bodyJson`. */
function withJson(head: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, key: string, body: unknown, bodyJson: string): CanonicalObject {
  const { apiVersion, kind, metadata: meta } = head;
  const json = `{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":${canonicalJson(meta)},${JSON.stringify(key)}:${bodyJson}}`;
  return { object: { apiVersion, kind, metadata: meta, [key]: body }, json };
}

function fill(shape: MonitoringShape, ctx: MonitoringContext): CanonicalObject[] {
  const values = [ctx.tenant, ctx.environment, ctx.namespace, dashboardUid(ctx.tenant, ctx.environment)];
  const sm = shape.serviceMonitor.fill(values);
  const rules = shape.rules.fill(values);
  const file = dashboardFileName(ctx);
  return [
    withJson({ apiVersion: MONITORING_API_VERSION, kind: 'ServiceMonitor', metadata: metadata(ctx, 'services') }, 'spec', sm.value, sm.json),
    withJson({ apiVersion: MONITORING_API_VERSION, kind: 'PrometheusRule', metadata: metadata(ctx, 'slo') }, 'spec', rules.value, rules.json),
    withJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: dashboardMetadata(ctx) }, 'data', { [file]: fillText(shape.dashboard, values) }, `{${JSON.stringify(file)}:"${fillText(shape.dashboardEscaped, values)}"}`),
  ];
}

/** fill() without the JSON texts: the same objects. */
function fillValues(shape: MonitoringShape, ctx: MonitoringContext): KubeObject[] {
  const values = [ctx.tenant, ctx.environment, ctx.namespace, dashboardUid(ctx.tenant, ctx.environment)];
  const file = dashboardFileName(ctx);
  return [
    { apiVersion: MONITORING_API_VERSION, kind: 'ServiceMonitor', metadata: metadata(ctx, 'services'), spec: shape.serviceMonitor.value(values) },
    { apiVersion: MONITORING_API_VERSION, kind: 'PrometheusRule', metadata: metadata(ctx, 'slo'), spec: shape.rules.value(values) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: dashboardMetadata(ctx), data: { [file]: fillText(shape.dashboard, values) } },
  ] as KubeObject[];
}

function reproduces(shape: MonitoringShape, ctx: MonitoringContext): boolean {
  const want = renderMonitoring(ctx).map((o) => canonicalJson(o));
  const got = fill(shape, ctx).map((o) => o.json);
  return want.length === got.length && want.every((w, i) => w === got[i]);
}

/** Another environment of the same shape, to prove the slots cover every per-environment string. */
function probeContext(ctx: MonitoringContext): MonitoringContext {
  const tenant = ctx.tenant === 'zz-probe' ? 'zz-probe-2' : 'zz-probe';
  const environment = ctx.environment === 'zz-env' ? 'zz-env-2' : 'zz-env';
  return { ...ctx, tenant, environment, namespace: `${tenant}-${environment}` };
}

function compileShape(ctx: MonitoringContext): MonitoringShape | null {
  const sym: MonitoringContext = { ...ctx, tenant: SLOTS[0], environment: SLOTS[1], namespace: SLOTS[2] };
  let shape: MonitoringShape;
  try {
    const text = dashboardText(sym, SLOTS[3]);
    shape = {
      serviceMonitor: compile(serviceMonitorSpec(sym)),
      rules: compile({ groups: ruleGroups(sym) }),
      dashboard: compileText(text),
      dashboardEscaped: compileText(JSON.stringify(text).slice(1, -1)),
    };
  } catch {
    return null;
  }
  return reproduces(shape, ctx) && reproduces(shape, probeContext(ctx)) ? shape : null;
}

function shapeOf(ctx: MonitoringContext): MonitoringShape | null {
  const key = JSON.stringify([ctx.tier, ctx.envType, ctx.services, ctx.runbookBase ?? null]);
  let shape = shapes.get(key);
  if (shape === undefined) {
    shape = compileShape(ctx);
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

/** The monitoring objects of one environment with their canonical JSON; the same bytes as renderMonitoring. */
export function renderMonitoringShaped(ctx: MonitoringContext): CanonicalObject[] {
  validateContext(ctx);
  if (ctx.services.length === 0) return [];
  const shape = shapeOf(ctx);
  if (shape) return fill(shape, ctx);
  return renderMonitoring(ctx).map((object) => ({ object, json: canonicalJson(object) }));
}

/** The same objects as renderMonitoringShaped, without their JSON text (see renderShapedValues). */
export function renderMonitoringShapedValues(ctx: MonitoringContext): KubeObject[] {
  validateContext(ctx);
  if (ctx.services.length === 0) return [];
  const shape = shapeOf(ctx);
  if (shape) return fillValues(shape, ctx);
  return renderMonitoring(ctx).map((object) => (canonicalJson(object), object));
}

/** The parts renderMonitoringShapedValues fills, unfilled (for ./fused.ts), or its directly built objects. */
export type MonitoringParts =
  | { shape: MonitoringShape; values: string[]; file: string; heads: [KubeObject['metadata'], KubeObject['metadata'], KubeObject['metadata']]; objects?: undefined }
  | { shape: null; objects: KubeObject[] };

/**
 * renderMonitoringShapedValues without the fill: the shape, its slot values, the dashboard's file
 * name and the three objects' metadata (ServiceMonitor, PrometheusRule, dashboard ConfigMap), built
 * and checked in the same order as fillValues does, so the same inputs fail the same way.
 */
export function renderMonitoringParts(ctx: MonitoringContext): MonitoringParts {
  validateContext(ctx);
  if (ctx.services.length === 0) return { shape: null, objects: [] };
  const shape = shapeOf(ctx);
  if (!shape) return { shape: null, objects: renderMonitoring(ctx).map((object) => (canonicalJson(object), object)) };
  const values = [ctx.tenant, ctx.environment, ctx.namespace, dashboardUid(ctx.tenant, ctx.environment)];
  const file = dashboardFileName(ctx);
  const services = metadata(ctx, 'services');
  checkSlotValues(values); // what serviceMonitor.value(values) checks first
  const slo = metadata(ctx, 'slo');
  return { shape, values, file, heads: [services, slo, dashboardMetadata(ctx)] };
}
