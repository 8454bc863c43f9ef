// Bulk rendering (renderEnvironments only; renderEnvironment never comes here): an environment's
// objects with their canonical JSON, filled from per-shape stencils that were byte-checked against
// the direct build (./shape.ts for the ordinary objects, ./monitoring.ts for the monitoring ones).
// Worth it for thousands of environments at once (ADR 0405 has the figures); one environment at a
// time, the direct build is as fast and has no caches.
import { OBJECT_BUILDERS } from '../builders.ts';
import { buildContext } from '../context.ts';
import { monitoringContext } from '../monitoring/context.ts';
import type { KubeObject } from '../../domain/types.ts';
import type { CanonicalObject, RenderContext, RenderInput } from '../types.ts';
import { renderMonitoringShaped, renderMonitoringShapedValues } from './monitoring.ts';
import { renderShaped, renderShapedValues } from './shape.ts';

export function renderShapedObjects(input: RenderInput, ctx: RenderContext): CanonicalObject[] {
  return [...renderShaped(input, ctx, OBJECT_BUILDERS, buildContext), ...renderMonitoringShaped(monitoringContext(ctx))];
}

/** The same objects without their JSON text (the rollout preview compares objects and needs no hash). */
export function renderShapedObjectValues(input: RenderInput, ctx: RenderContext): KubeObject[] {
  return [...renderShapedValues(input, ctx, OBJECT_BUILDERS, buildContext), ...renderMonitoringShapedValues(monitoringContext(ctx))];
}
