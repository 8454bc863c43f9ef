// Object metadata: the labels every object carries (DESIGN.md contract plus app.kubernetes.io/*).
import { labelValue } from '../domain/naming.ts';
import { LABELS, type KubeObject } from '../domain/types.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

export const COMPONENT_LABEL = LABELS.component;

function instance(ctx: RenderContext): string {
  return labelValue(`${ctx.tenant.slug}-${ctx.env.name}`);
}

/** Labels of an environment-wide object (namespace, quota, default policies). */
export function envLabels(ctx: RenderContext): Record<string, string> {
  return {
    ...ctx.common,
    'app.kubernetes.io/name': labelValue(ctx.blueprint.metadata.name),
    'app.kubernetes.io/instance': instance(ctx),
    'app.kubernetes.io/component': 'environment',
  };
}

/** Labels of a component's objects; also its pods' labels (pods never carry the revision label). */
export function componentLabels(ctx: RenderContext, c: ResolvedComponent): Record<string, string> {
  return {
    ...ctx.common,
    'app.kubernetes.io/name': c.spec.name,
    'app.kubernetes.io/instance': instance(ctx),
    'app.kubernetes.io/component': c.spec.kind,
    [COMPONENT_LABEL]: c.spec.name,
  };
}

/** The immutable selector of a component's pods (never includes version or revision). */
export function selectorOf(c: ResolvedComponent): Record<string, string> {
  return { [COMPONENT_LABEL]: c.spec.name };
}

export function obj(apiVersion: string, kind: string, metadata: KubeObject['metadata'], body: Record<string, unknown>): KubeObject {
  return { apiVersion, kind, metadata, ...body };
}

export function meta(ctx: RenderContext, name: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeObject['metadata'] {
  return annotations ? { name, namespace: ctx.namespace, labels, annotations } : { name, namespace: ctx.namespace, labels };
}
