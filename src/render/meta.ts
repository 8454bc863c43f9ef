// Object metadata: the labels every object carries (DESIGN.md contract plus app.kubernetes.io/*).
import { LABELS, MANAGED_BY, type KubeObject } from '../domain/types.ts';
import type { RenderContext, ResolvedComponent } from './types.ts';

export const COMPONENT_LABEL = LABELS.component;


// Label maps are written in sorted key order so canonicalJson can use the native JSON.stringify.
// The revision label starts empty (hashes are taken that way) and is filled in place at the end.

/** Labels of an environment-wide object (namespace, quota, default policies). */
export function envLabels(ctx: RenderContext): Record<string, string> {
  const c = ctx.common;
  return {
    'app.kubernetes.io/component': 'environment',
    'app.kubernetes.io/instance': ctx.instance,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': c['app.kubernetes.io/part-of']!,
    'app.kubernetes.io/part-of': c['app.kubernetes.io/part-of']!,
    'app.kubernetes.io/version': c['app.kubernetes.io/version']!,
    [LABELS.environment]: c[LABELS.environment]!,
    [LABELS.revision]: '',
    [LABELS.tenant]: c[LABELS.tenant]!,
  };
}

/** Labels of a component's objects. */
export function componentLabels(ctx: RenderContext, r: ResolvedComponent): Record<string, string> {
  const c = ctx.common;
  return {
    'app.kubernetes.io/component': r.spec.kind,
    'app.kubernetes.io/instance': ctx.instance,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    'app.kubernetes.io/name': r.spec.name,
    'app.kubernetes.io/part-of': c['app.kubernetes.io/part-of']!,
    'app.kubernetes.io/version': c['app.kubernetes.io/version']!,
    [COMPONENT_LABEL]: r.spec.name,
    [LABELS.environment]: c[LABELS.environment]!,
    [LABELS.revision]: '',
    [LABELS.tenant]: c[LABELS.tenant]!,
  };
}

/** Pod labels: the component's labels without the revision, which would roll pods for nothing. */
export function podLabels(ctx: RenderContext, r: ResolvedComponent): Record<string, string> {
  const labels = componentLabels(ctx, r);
  delete labels[LABELS.revision];
  return labels;
}

/** A copy with keys sorted (for maps merged from several sources). */
export function sortedMap<T>(m: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** The immutable selector of a component's pods (never includes version or revision). */
export function selectorOf(c: ResolvedComponent): Record<string, string> {
  return { [COMPONENT_LABEL]: c.spec.name };
}

export function obj(apiVersion: string, kind: string, metadata: KubeObject['metadata'], body: Record<string, unknown>): KubeObject {
  return { apiVersion, kind, metadata, ...body };
}

export function meta(ctx: RenderContext, name: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeObject['metadata'] {
  // Keys in canonical (sorted) order: canonicalJson then takes V8's native JSON.stringify.
  return annotations ? { annotations, labels, name, namespace: ctx.namespace } : { labels, name, namespace: ctx.namespace };
}
