// Per-shape stencils for bulk rendering (renderEnvironments; ADR 0405, which supersedes 0404).
// Environments with the same blueprint release, environment type, tier, platform and component/secret
// overrides (one "shape") differ only in a few strings: tenant, environment, namespace, hostname,
// instance label, config values and their hashes, templated secret keys. The shape's objects are
// built once by the ordinary builders on a *symbolic context* (those strings replaced by slots) and
// compiled to stencils (stencil.ts); each environment then fills them, getting the objects and their
// canonical JSON without building or serializing the same structure again.
//
// Safety: a shape is used only after filling it reproduces the direct build byte for byte for the
// environment at hand and for a *probe environment* (another tenant and name); otherwise that shape
// renders directly. Maintenance rule: a new per-environment string in the render context must become
// a slot here (slotValues and symbolicContext, in the same order). Forgetting it is never wrong bytes,
// only a slow batch: the probe sends that shape to the direct build.
import { canonicalJson } from '../../domain/canonical.ts';
import { LABELS, type KubeObject } from '../../domain/types.ts';
import { placementOf } from '../context.ts';
import type { Builder, CanonicalObject, RenderContext, RenderInput, ResolvedComponent } from '../types.ts';
import { compile, escapeSlotValue, slot, type Stencil } from './stencil.ts';

/** The per-environment strings every shape has, as slots 0..5; then, per component, its config values
 * (sorted keys), its config hash and its templated secret keys. */
const FIXED_SLOTS = ['slug', 'env', 'namespace', 'hostname', 'instance', 'envLabel'] as const;

/** The per-environment strings, in slot order. */
function slotValues(ctx: RenderContext): string[] {
  const out = [ctx.tenant.slug, ctx.env.name, ctx.namespace, ctx.hostname, ctx.instance, ctx.common[LABELS.environment]!];
  for (const c of ctx.components) {
    for (const k of Object.keys(c.config)) out.push(c.config[k]!);
    out.push(c.configHash);
    for (const s of c.secrets) if (s.external) out.push(s.external.key);
  }
  return out;
}

/** The context with every per-environment string replaced by its slot (same order as slotValues). */
function symbolicContext(ctx: RenderContext): RenderContext {
  let n = FIXED_SLOTS.length;
  const tenant = slot(0);
  const components = ctx.components.map((c): ResolvedComponent => {
    const config: Record<string, string> = {};
    for (const k of Object.keys(c.config)) config[k] = slot(n++);
    const configHash = slot(n++);
    const secrets = c.secrets.map((s) => (s.external ? { ...s, external: { ...s.external, key: slot(n++) } } : s));
    return { ...c, config, configHash, secrets, ...placementOf(c.spec, { tier: ctx.tenant.tier, tenant, platform: ctx.platform }) };
  });
  return {
    ...ctx,
    tenant: { ...ctx.tenant, slug: tenant, name: '' },
    env: { ...ctx.env, name: slot(1) },
    namespace: slot(2),
    hostname: slot(3),
    instance: slot(4),
    common: { ...ctx.common, [LABELS.tenant]: tenant, [LABELS.environment]: slot(5) },
    params: {},
    components,
  };
}

type Shape = Array<Stencil<KubeObject>> | null;
/** Per builder list (the renderer has one), per shape key. */
const caches = new WeakMap<readonly Builder[], Map<string, Shape>>();
const SHAPES_MAX = 1000;

// The context's platform is one frozen object per platform the callers pass (render/context.ts).
const platformKeys = new WeakMap<object, string>();

function platformKey(platform: RenderContext['platform']): string {
  let key = platformKeys.get(platform);
  if (key === undefined) platformKeys.set(platform, (key = JSON.stringify(platform)));
  return key;
}

function shapeKey(input: RenderInput, ctx: RenderContext): string {
  const v = input.environment.values;
  return `${platformKey(ctx.platform)}\u0000${JSON.stringify([ctx.blueprint.digest, ctx.env.type, ctx.tenant.tier, v?.components ?? null, v?.secrets ?? null, [...ctx.capabilities]])}`;
}

function direct(ctx: RenderContext, builders: readonly Builder[]): KubeObject[] {
  const out: KubeObject[] = [];
  for (const build of builders) for (const o of build(ctx)) out.push(o);
  return out;
}

function fill(shape: NonNullable<Shape>, ctx: RenderContext): CanonicalObject[] {
  const values = slotValues(ctx);
  const escaped = values.map(escapeSlotValue);
  return shape.map((s) => {
    const { value, json } = s.fill(values, escaped);
    return { object: value, json };
  });
}

function fillValues(shape: NonNullable<Shape>, ctx: RenderContext): KubeObject[] {
  const values = slotValues(ctx);
  const escaped = values.map(escapeSlotValue);
  return shape.map((s) => s.value(values, escaped));
}

function reproduces(shape: NonNullable<Shape>, ctx: RenderContext, builders: readonly Builder[]): boolean {
  const want = direct(ctx, builders).map((o) => canonicalJson(o));
  const got = fill(shape, ctx).map((o) => o.json);
  return want.length === got.length && want.every((w, i) => w === got[i]);
}

/** Another environment of the same shape (other tenant and name), to prove the slots cover everything. */
function probeEnvironment(input: RenderInput): RenderInput {
  const env = input.environment;
  return {
    ...input,
    tenant: { ...input.tenant, slug: input.tenant.slug === 'zz-probe' ? 'zz-probe-2' : 'zz-probe', name: `${input.tenant.name} probe` },
    environment: { ...env, name: env.name === 'zz-env' ? 'zz-env-2' : 'zz-env' },
    placement: { ...input.placement, namespace: undefined },
  };
}

function compileShape(input: RenderInput, ctx: RenderContext, builders: readonly Builder[], contextOf: (i: RenderInput) => RenderContext): Shape {
  let shape: Shape;
  try {
    shape = direct(symbolicContext(ctx), builders).map((o) => compile(o));
  } catch {
    return null; // e.g. a slot ended up in an object key: render this shape directly
  }
  const probe = contextOf(probeEnvironment(input));
  return reproduces(shape, ctx, builders) && reproduces(shape, probe, builders) ? shape : null;
}

function shapeOf(input: RenderInput, ctx: RenderContext, builders: readonly Builder[], contextOf: (i: RenderInput) => RenderContext): Shape {
  const key = shapeKey(input, ctx);
  let shapes = caches.get(builders);
  if (!shapes) caches.set(builders, (shapes = new Map()));
  let shape = shapes.get(key);
  if (shape === undefined) {
    shape = compileShape(input, ctx, builders, contextOf);
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    shapes.set(key, shape);
  }
  return shape;
}

/**
 * The objects `builders` make for this environment, each with its canonical JSON (undefined members
 * dropped). `contextOf` builds a context from an input (used once per shape for the probe).
 */
export function renderShaped(input: RenderInput, ctx: RenderContext, builders: readonly Builder[], contextOf: (i: RenderInput) => RenderContext): CanonicalObject[] {
  const shape = shapeOf(input, ctx, builders, contextOf);
  if (shape) return fill(shape, ctx);
  return direct(ctx, builders).map((object) => ({ object, json: canonicalJson(object) }));
}

/** An environment's shape and slot values (its objects are the stencils filled), or its directly built objects. */
export type ShapedParts =
  | { shape: ReadonlyArray<Stencil<KubeObject>>; values: string[]; escaped: string[]; objects?: undefined }
  | { shape: null; objects: KubeObject[] };

/**
 * What renderShapedValues fills, unfilled (for the rollout preview's walk against the stencils,
 * ./fused.ts): the shape's stencils with this environment's slot values, or, for a shape that
 * renders directly, renderShapedValues' objects.
 */
export function renderShapedParts(input: RenderInput, ctx: RenderContext, builders: readonly Builder[], contextOf: (i: RenderInput) => RenderContext): ShapedParts {
  const shape = shapeOf(input, ctx, builders, contextOf);
  if (shape) {
    const values = slotValues(ctx);
    return { shape, values, escaped: values.map(escapeSlotValue) };
  }
  return { shape: null, objects: direct(ctx, builders).map((object) => (canonicalJson(object), object)) };
}

/**
 * The same objects as renderShaped, without their JSON text (for callers that compare objects and
 * need no hash: the rollout preview). A shape that renders directly still serializes each object, so
 * an object JSON cannot encode (a non-finite number) fails here exactly as in renderShaped.
 */
export function renderShapedValues(input: RenderInput, ctx: RenderContext, builders: readonly Builder[], contextOf: (i: RenderInput) => RenderContext): KubeObject[] {
  const shape = shapeOf(input, ctx, builders, contextOf);
  if (shape) return fillValues(shape, ctx);
  return direct(ctx, builders).map((object) => (canonicalJson(object), object));
}
