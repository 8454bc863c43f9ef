// renderEnvironment: blueprint release + environment values + placement -> the exact, byte-stable
// set of Kubernetes objects and Helm value overrides, with a content hash per object and per revision.
// Pure: no I/O, no clock. See docs/rendering.md for the conventions it implements.
//
// One path per environment: the builders (./builders.ts) on the resolved context, each object's
// canonical JSON hashed. renderEnvironments is the bulk API for batches (a benchmark, re-rendering
// the fleet): the same bytes, from per-shape stencils (./bulk/, ADR 0405).
import { canonicalJson, sha256Hex } from '../domain/canonical.ts';
import { kindRank } from '../domain/kinds.ts';
import { LABELS, type KubeObject, type RenderedObject } from '../domain/types.ts';
import { BUILDERS } from './builders.ts';
import { renderShapedObjectValues, renderShapedObjects } from './bulk/index.ts';
import { buildContext } from './context.ts';
import { checkHelmValues, renderHelmValues } from './helm.ts';
import type { CanonicalObject, RenderContext, RenderInput, RenderResult } from './types.ts';

export type { RenderInput, RenderResult, RenderedHelmValues, PlatformConfig, RenderTenant, RenderEnvironment, RenderChoice } from './types.ts';
export { renderTrainingRun, trainingRunName, TRAINING_RUN_LABEL, TRAINER_API_VERSION, type RenderedTrainingRun, type TrainingRunRequest } from './ai/training.ts';
export { explainedChoices } from './ai/choice.ts';
export { DEFAULT_PLATFORM, checkedPlatform } from './context.ts';
export { environmentRenderInput } from './input.ts';
export { renderEnvironmentTargets, type FusedTarget } from './bulk/fused.ts';

export const REVISION_ID_LENGTH = 16;

interface Entry extends CanonicalObject { rank: number; key: string }

const sortKey = (object: KubeObject): string => `${object.kind}\u0000${object.apiVersion}\u0000${object.metadata.namespace ?? ''}\u0000${object.metadata.name}`;

function entry({ object, json }: CanonicalObject): Entry {
  return { object, json, rank: kindRank(object.kind), key: sortKey(object) };
}

function compareEntries(a: { rank: number; key: string }, b: { rank: number; key: string }): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * The revision of an environment's objects. Each object's hash covers its canonical JSON with the
 * revision label still empty (the builders leave it ''), and the revision id hashes those hashes plus
 * the Helm values; only then is the revision label filled in. So an object's hash stays the same across revisions when the object
 * itself did not change.
 */
function assemble(ctx: RenderContext, objects: readonly CanonicalObject[]): RenderResult {
  const entries = objects.map(entry).sort(compareEntries);
  const helmValues = renderHelmValues(ctx);
  const rendered: RenderedObject[] = new Array(entries.length);
  let all = '';
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const hash = sha256Hex(e.json);
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
    choices: ctx.components.map((c) => c.choice),
  };
}

/** Render one environment: every builder on its context, each object serialized once. */
export function renderEnvironment(input: RenderInput): RenderResult {
  const ctx = buildContext(input);
  const objects: CanonicalObject[] = [];
  for (const build of BUILDERS) for (const object of build(ctx)) objects.push({ object, json: canonicalJson(object) });
  return assemble(ctx, objects);
}

/**
 * Render many environments (in order), with the same result as renderEnvironment for each. For
 * batches: environments of one shape are filled from stencils built and byte-checked once per shape
 * (./bulk/), about a third of the CPU of the direct build; callers wanting several cores split the
 * batch across worker threads (see bench/render.bench.ts).
 */
export function renderEnvironments(inputs: readonly RenderInput[]): RenderResult[] {
  return inputs.map((input) => {
    const ctx = buildContext(input);
    return assemble(ctx, renderShapedObjects(input, ctx));
  });
}

/**
 * The objects renderEnvironments gives each environment, in the same order, without hashing: no
 * object hash, no revision id, the revision label left '' (as the hashes cover it). For callers that
 * compare objects rather than hashes (the rollout preview, src/plan/rollout-preview.ts); nothing of the
 * stored revision contract comes from here. Each object is built as renderEnvironments builds it, but
 * from shapes that render through stencils its canonical JSON is never produced, and its parts without
 * per-environment strings are shared between environments and frozen: read-only results.
 */
export function renderEnvironmentObjects(inputs: readonly RenderInput[]): KubeObject[][] {
  return inputs.map((input) => {
    const ctx = buildContext(input);
    checkHelmValues(ctx); // fails where renderEnvironments would
    const entries = renderShapedObjectValues(input, ctx).map((object) => ({ object, rank: kindRank(object.kind), key: sortKey(object) })).sort(compareEntries);
    return entries.map(({ object }) => withRevisionLabel(object));
  });
}

/** The object with a revision label, as assemble() leaves every object (here ''); a copy where one is missing, since shared parts are frozen. */
function withRevisionLabel(object: KubeObject): KubeObject {
  const labels = object.metadata.labels;
  if (labels && LABELS.revision in labels) return object;
  return { ...object, metadata: { ...object.metadata, labels: { ...labels, [LABELS.revision]: '' } } };
}
