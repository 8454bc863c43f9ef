// renderEnvironment: blueprint release + environment values + placement -> the exact, byte-stable
// set of Kubernetes objects and Helm value overrides, with a content hash per object and per revision.
// Pure: no I/O, no clock. See docs/rendering.md for the conventions it implements.
import { kindRank } from '../domain/kinds.ts';
import { LABELS, type KubeObject, type RenderedObject } from '../domain/types.ts';
import { canonicalJson, sha256Hex } from '../domain/canonical.ts';
import { renderConfig } from './config.ts';
import { buildContext } from './context.ts';
import { renderHelmValues } from './helm.ts';
import { renderMonitoring } from './monitoring.ts';
import { renderNamespace } from './namespace.ts';
import { renderNetwork } from './network.ts';
import { renderRbac } from './rbac.ts';
import { renderShaped } from './shape.ts';
import { renderAvailability, renderRoutes, renderServices } from './services.ts';
import type { Builder, RenderInput, RenderResult } from './types.ts';
import { renderWorkloads } from './workloads.ts';

export type { RenderInput, RenderResult, RenderedHelmValues, PlatformConfig, RenderTenant, RenderEnvironment } from './types.ts';
export { DEFAULT_PLATFORM } from './context.ts';
export { environmentRenderInput } from './input.ts';

export const REVISION_ID_LENGTH = 16;

/** Builders of every object but the observability ones (exported for the shape tests). */
export const BUILDERS: readonly Builder[] = [renderNamespace, renderNetwork, renderRbac, renderConfig, renderWorkloads, renderServices, renderAvailability, renderRoutes];

interface Entry { object: KubeObject; json: string | undefined; rank: number; key: string }

function entry(object: KubeObject, json?: string): Entry {
  const m = object.metadata;
  return { object, json, rank: kindRank(object.kind), key: `${object.kind}\u0000${object.apiVersion}\u0000${m.namespace ?? ''}\u0000${m.name}` };
}

function compareEntries(a: Entry, b: Entry): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Render one environment. Each object's hash covers its canonical JSON *without* the revision label,
 * and the revision id hashes those hashes plus the Helm values; only then is the revision label
 * stamped on. So an object's hash stays the same across revisions when the object itself did not change.
 */
export function renderEnvironment(input: RenderInput): RenderResult {
  const ctx = buildContext(input);
  const entries: Entry[] = [];
  // Objects come with their canonical JSON, filled from per-shape stencils (shape.ts): nothing is serialized twice.
  for (const { object, json } of renderShaped(input, ctx, BUILDERS, buildContext)) entries.push(entry(object, json));
  for (const { object, json } of renderMonitoring(ctx)) entries.push(entry(object, json));
  entries.sort(compareEntries);
  const helmValues = renderHelmValues(ctx);
  const rendered: RenderedObject[] = new Array(entries.length);
  let all = '';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const hash = sha256Hex(e.json ?? canonicalJson(e.object));
    rendered[i] = { object: e.object, hash };
    all += `${hash}\n`;
  }
  for (const h of helmValues) all += `${h.component}\u0000${h.chart}\u0000${h.chartVersion}\u0000${h.repo}\u0000${h.yaml}\n`;
  const revision = sha256Hex(all).slice(0, REVISION_ID_LENGTH);
  for (const r of rendered) (r.object.metadata.labels ??= {})[LABELS.revision] = revision;
  return {
    revision,
    namespace: ctx.namespace,
    hostname: ctx.hostname,
    blueprint: ctx.blueprint.metadata.name,
    version: ctx.blueprint.metadata.version,
    objects: rendered,
    helmValues,
  };
}

/**
 * Render many environments (in order). Blueprint parsing, parameter validators and per-shape
 * stencils are cached across calls, so a batch costs about one fill and one hash pass per object;
 * callers wanting several cores split the batch across worker threads (see bench/render.bench.ts).
 */
export function renderEnvironments(inputs: readonly RenderInput[]): RenderResult[] {
  return inputs.map((input) => renderEnvironment(input));
}
