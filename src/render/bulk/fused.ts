// The rollout preview's targets without filling them (issue #21, ADR 2110 "Fused walk"): for an
// environment whose objects come from a bulk shape (./shape.ts, ./monitoring.ts), each object is given
// as its stencil's node tree plus this environment's slot values, and the preview walks the stored
// object against the tree (src/plan/rollout-preview.ts fusedInto) instead of against a filled copy.
// Nothing here decides a difference: the trees only say what the filled object would hold, so that
// the walk can read it without building it.
//
// The contract, checked by ./fused.test.ts and src/plan/rollout-preview-fast.test.ts: for every
// environment, renderEnvironmentTargets gives the objects of renderEnvironmentObjects (same order,
// same content, same revision label), some as ShapedObject (materialize() builds the very object),
// the rest as the object itself (shapes that render directly, stencils whose tree this module does
// not take).
import { kindRank } from '../../domain/kinds.ts';
import { LABELS, type KubeObject } from '../../domain/types.ts';
import { OBJECT_BUILDERS } from '../builders.ts';
import { buildContext } from '../context.ts';
import { checkHelmValues } from '../helm.ts';
import { monitoringContext } from '../monitoring/context.ts';
import { MONITORING_API_VERSION } from '../monitoring/objects.ts';
import type { RenderInput } from '../types.ts';
import { renderMonitoringParts, type MonitoringShape } from './monitoring.ts';
import { renderShapedParts } from './shape.ts';
import { fillText, type Stencil, type TextStencil } from './stencil.ts';
import { CONST, REC, SLOT, TEXT, constNode, extraNode, keyedNode, nodeOf, recNode, textNode, type FusedNode, type FusedPlan } from './fused-node.ts';
import { ShapedTarget } from './fused-walk.ts';

export { ShapedObject, type FusedNode, type FusedPlan } from './fused-node.ts';
export { ShapedTarget } from './fused-walk.ts';

/** The object with a revision label, as renderEnvironmentObjects leaves every object (render/index.ts withRevisionLabel). */
function withRevisionLabel(object: KubeObject): KubeObject {
  const labels = object.metadata.labels;
  if (labels && LABELS.revision in labels) return object;
  return { ...object, metadata: { ...object.metadata, labels: { ...labels, [LABELS.revision]: '' } } };
}

/** A string member of a node tree: the constant, or its text stencil; null when it is not a string. */
type Field = string | TextStencil | undefined | null;

function fieldOf(n: FusedNode | undefined): Field {
  if (n === undefined) return undefined;
  if (n.t === CONST) return typeof n.v === 'string' ? n.v : n.v === undefined ? undefined : null;
  if (n.t === SLOT) return { pieces: ['', ''], slots: [n.i] };
  return n.t === TEXT ? { pieces: n.pieces, slots: n.slots } : null;
}

function member(n: FusedNode | undefined, k: string): FusedNode | undefined {
  if (n === undefined) return undefined;
  if (n.t === REC) return n.byKey.get(k);
  if (n.t === CONST && n.v !== null && typeof n.v === 'object' && !Array.isArray(n.v) && Object.hasOwn(n.v, k)) return constNode((n.v as Record<string, unknown>)[k]);
  return undefined;
}

const filled = (f: string | TextStencil, values: readonly string[]): string => (typeof f === 'string' ? f : fillText(f, values));

interface ShapePlan { plan: FusedPlan; kind: string | TextStencil; apiVersion: string | TextStencil; name: string | TextStencil; namespace: string | TextStencil | undefined }

/** null: this stencil's objects are filled (materialized) instead: identity fields that are not plain strings. */
function compileShapePlan(stencil: Stencil<KubeObject>): ShapePlan | null {
  const skeleton = withRevisionLabel(stencil.skeleton as KubeObject);
  if (skeleton === null || typeof skeleton !== 'object' || Array.isArray(skeleton)) return null;
  const node = nodeOf(skeleton);
  const meta = member(node, 'metadata');
  const kind = fieldOf(member(node, 'kind'));
  const apiVersion = fieldOf(member(node, 'apiVersion'));
  const name = fieldOf(member(meta, 'name'));
  const namespace = fieldOf(member(meta, 'namespace'));
  if (meta === undefined || kind == null || apiVersion == null || name == null || namespace === null) return null;
  const plan: FusedPlan = { node, skeleton, materialize: (o) => withRevisionLabel(stencil.value(o.values, o.escaped)) };
  return { plan, kind, apiVersion, name, namespace };
}

const shapePlans = new WeakMap<Stencil<KubeObject>, ShapePlan | null>();

function shapePlanOf(stencil: Stencil<KubeObject>): ShapePlan | null {
  let p = shapePlans.get(stencil);
  if (p === undefined) shapePlans.set(stencil, (p = compileShapePlan(stencil)));
  return p;
}

interface MonitoringPlans { services: FusedPlan; slo: FusedPlan; dashboard: FusedPlan }
const monitoringPlans = new WeakMap<MonitoringShape, MonitoringPlans>();

/** The three monitoring objects as monitoring.ts fillValues builds them: constant head, metadata per environment, body from the shape. */
function monitoringPlansOf(shape: MonitoringShape): MonitoringPlans {
  let p = monitoringPlans.get(shape);
  if (p) return p;
  const head = (kind: string, apiVersion: string) => [['apiVersion', constNode(apiVersion)], ['kind', constNode(kind)], ['metadata', extraNode(0)]] as const;
  const spec = (kind: string, stencil: Stencil<unknown>): FusedPlan => ({
    node: recNode([...head(kind, MONITORING_API_VERSION), ['spec', nodeOf(stencil.skeleton)]]),
    skeleton: { apiVersion: MONITORING_API_VERSION, kind, metadata: { name: '' }, spec: stencil.skeleton } as KubeObject,
    materialize: (o) => ({ apiVersion: MONITORING_API_VERSION, kind, metadata: o.extras[0], spec: stencil.value(o.values) }) as KubeObject,
  });
  const dashboard: FusedPlan = {
    node: recNode([...head('ConfigMap', 'v1'), ['data', keyedNode(1, textNode(shape.dashboard))]]),
    skeleton: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '' }, data: {} } as KubeObject,
    materialize: (o) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: o.extras[0], data: { [o.extras[1] as string]: fillText(shape.dashboard, o.values) } }) as KubeObject,
  };
  p = { services: spec('ServiceMonitor', shape.serviceMonitor), slo: spec('PrometheusRule', shape.rules), dashboard };
  monitoringPlans.set(shape, p);
  return p;
}

/** Metadata as withRevisionLabel leaves it. */
function labelled(meta: KubeObject['metadata']): KubeObject['metadata'] {
  const labels = meta.labels;
  return labels && LABELS.revision in labels ? meta : { ...meta, labels: { ...labels, [LABELS.revision]: '' } };
}

/** A target of the preview: the object itself, or its shape's tree with the environment's values. */
export type FusedTarget = { object: KubeObject; shaped?: undefined } | { shaped: ShapedTarget; object?: undefined };

type Target = KubeObject | ShapedTarget;

/**
 * render/index.ts compareEntries without building its keys: (kind rank, kind, apiVersion, namespace,
 * name) compared field by field is what comparing `kind\0apiVersion\0namespace\0name` compares,
 * since no field holds a NUL; ties fall to the original position, as the stable sort leaves them.
 */
function compareTargets(targets: readonly Target[], ranks: readonly number[], ia: number, ib: number): number {
  const ra = ranks[ia]!;
  const rb = ranks[ib]!;
  if (ra !== rb) return ra - rb;
  const x = targets[ia]!;
  const y = targets[ib]!;
  if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
  if (x.apiVersion !== y.apiVersion) return x.apiVersion < y.apiVersion ? -1 : 1;
  const nx = x.metadata.namespace ?? '';
  const ny = y.metadata.namespace ?? '';
  if (nx !== ny) return nx < ny ? -1 : 1;
  if (x.metadata.name !== y.metadata.name) return x.metadata.name < y.metadata.name ? -1 : 1;
  return ia - ib;
}

/** Per shape (its stencils, then its monitoring shape): the order the last environment of it sorted to. */
const lastOrder = new WeakMap<object, WeakMap<object, number[]>>();
const NO_MONITORING = {};

/**
 * The targets in render order. Environments of one shape almost always sort alike (their names
 * differ only by the same slots), so the last order of the shape is laid first and an insertion sort
 * corrects it: a pass of comparisons without allocation when nothing moves, and the order the stable
 * sort gives whatever the names (the comparison is total).
 */
export function sortTargets(targets: Target[], shapeKey: object | null, monitoringKey: object | null): Target[] {
  const n = targets.length;
  const ranks = targets.map((t) => kindRank(t.kind));
  let byMonitoring = shapeKey === null ? undefined : lastOrder.get(shapeKey);
  const cached = byMonitoring?.get(monitoringKey ?? NO_MONITORING);
  const order = cached !== undefined && cached.length === n ? cached.slice() : Array.from({ length: n }, (_, i) => i);
  for (let i = 1; i < n; i++) {
    const k = order[i]!;
    let j = i - 1;
    while (j >= 0 && compareTargets(targets, ranks, order[j]!, k) > 0) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = k;
  }
  if (shapeKey !== null) {
    if (byMonitoring === undefined) lastOrder.set(shapeKey, (byMonitoring = new WeakMap()));
    byMonitoring.set(monitoringKey ?? NO_MONITORING, order);
  }
  return order.map((i) => targets[i]!);
}

/**
 * renderEnvironmentObjects (render/index.ts) for the rollout preview: per environment, in the same
 * order, the same objects, those of bulk shapes as ShapedObject (not filled). The same steps run in
 * the same order (context, Helm values, shape lookup, slot checks), so an input that fails there
 * fails here.
 */
export function renderEnvironmentTargets(inputs: readonly RenderInput[]): FusedTarget[][] {
  return inputs.map((input) => {
    const ctx = buildContext(input);
    checkHelmValues(ctx); // fails where renderEnvironments would
    const targets: Target[] = [];
    const parts = renderShapedParts(input, ctx, OBJECT_BUILDERS, buildContext);
    if (parts.shape === null) for (const o of parts.objects) targets.push(o);
    else {
      const { values, escaped } = parts;
      for (const stencil of parts.shape) {
        const p = shapePlanOf(stencil);
        if (p === null) targets.push(stencil.value(values, escaped));
        else {
          const namespace = p.namespace === undefined ? undefined : filled(p.namespace, values);
          const metadata = namespace === undefined ? { name: filled(p.name, values) } : { name: filled(p.name, values), namespace };
          targets.push(new ShapedTarget(p.plan, filled(p.kind, values), filled(p.apiVersion, values), metadata, values, escaped, NO_EXTRAS));
        }
      }
    }
    const mon = renderMonitoringParts(monitoringContext(ctx));
    if (mon.shape === null) for (const o of mon.objects) targets.push(o);
    else {
      const plans = monitoringPlansOf(mon.shape);
      const [services, slo, dashboard] = mon.heads.map(labelled) as [KubeObject['metadata'], KubeObject['metadata'], KubeObject['metadata']];
      targets.push(new ShapedTarget(plans.services, 'ServiceMonitor', MONITORING_API_VERSION, services, mon.values, undefined, [services]));
      targets.push(new ShapedTarget(plans.slo, 'PrometheusRule', MONITORING_API_VERSION, slo, mon.values, undefined, [slo]));
      targets.push(new ShapedTarget(plans.dashboard, 'ConfigMap', 'v1', dashboard, mon.values, undefined, [dashboard, mon.file]));
    }
    return sortTargets(targets, parts.shape, mon.shape).map((target): FusedTarget => (target instanceof ShapedTarget ? { shaped: target } : { object: withRevisionLabel(target) }));
  });
}

const NO_EXTRAS: readonly unknown[] = Object.freeze([]);
