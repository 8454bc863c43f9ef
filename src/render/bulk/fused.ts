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
import { renderHelmValues } from '../helm.ts';
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

interface Entry { target: KubeObject | ShapedTarget; rank: number; key: string }

const sortKey = (kind: string, apiVersion: string, namespace: string | undefined, name: string): string => `${kind}\u0000${apiVersion}\u0000${namespace ?? ''}\u0000${name}`;

function objectEntry(object: KubeObject): Entry {
  return { target: object, rank: kindRank(object.kind), key: sortKey(object.kind, object.apiVersion, object.metadata.namespace, object.metadata.name) };
}

function shapedEntry(o: ShapedTarget): Entry {
  return { target: o, rank: kindRank(o.kind), key: sortKey(o.kind, o.apiVersion, o.metadata.namespace, o.metadata.name) };
}

// render/index.ts compareEntries.
function compareEntries(a: Entry, b: Entry): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
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
    renderHelmValues(ctx); // fails where renderEnvironments would
    const entries: Entry[] = [];
    const parts = renderShapedParts(input, ctx, OBJECT_BUILDERS, buildContext);
    if (parts.shape === null) for (const o of parts.objects) entries.push(objectEntry(o));
    else {
      const { values, escaped } = parts;
      for (const stencil of parts.shape) {
        const p = shapePlanOf(stencil);
        if (p === null) entries.push(objectEntry(stencil.value(values, escaped)));
        else {
          const namespace = p.namespace === undefined ? undefined : filled(p.namespace, values);
          const metadata = namespace === undefined ? { name: filled(p.name, values) } : { name: filled(p.name, values), namespace };
          entries.push(shapedEntry(new ShapedTarget(p.plan, filled(p.kind, values), filled(p.apiVersion, values), metadata, values, escaped, NO_EXTRAS)));
        }
      }
    }
    const mon = renderMonitoringParts(monitoringContext(ctx));
    if (mon.shape === null) for (const o of mon.objects) entries.push(objectEntry(o));
    else {
      const plans = monitoringPlansOf(mon.shape);
      const [services, slo, dashboard] = mon.heads.map(labelled) as [KubeObject['metadata'], KubeObject['metadata'], KubeObject['metadata']];
      entries.push(shapedEntry(new ShapedTarget(plans.services, 'ServiceMonitor', MONITORING_API_VERSION, services, mon.values, undefined, [services])));
      entries.push(shapedEntry(new ShapedTarget(plans.slo, 'PrometheusRule', MONITORING_API_VERSION, slo, mon.values, undefined, [slo])));
      entries.push(shapedEntry(new ShapedTarget(plans.dashboard, 'ConfigMap', 'v1', dashboard, mon.values, undefined, [dashboard, mon.file])));
    }
    entries.sort(compareEntries);
    return entries.map(({ target }): FusedTarget => (target instanceof ShapedTarget ? { shaped: target } : { object: withRevisionLabel(target) }));
  });
}

const NO_EXTRAS: readonly unknown[] = Object.freeze([]);
