// Environment values: the one merge rule, used alike by the API (validating a patch before it is
// accepted), the engine (the values an operation delivers, plan/values.ts) and the renderer
// (parameter defaults under the environment's values, render/values.ts). Plain objects merge
// deeply, arrays and scalars are replaced, and `null` deletes the key (so the default applies).

export type Values = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Values {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `patch` over `base`, into fresh objects (neither input is changed, and nothing in the result is
 * shared with them but arrays and scalars, so a validator filling defaults cannot touch the inputs).
 * A `null` in the patch deletes the key; no `null` of the patch survives into the result.
 */
export function mergeValues(base: Values, patch: Values): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(base)) out[k] = isPlainObject(v) ? mergeValues(v, {}) : v;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isPlainObject(v)) out[k] = mergeValues(isPlainObject(out[k]) ? out[k] : {}, v);
    else out[k] = v;
  }
  return out;
}

/**
 * Two patches as one: `then` applied after `first`. Unlike mergeValues the nulls are kept, since
 * the result is still a patch (its nulls delete when it is applied).
 */
export function composePatches(first: Values, then: Values): Values {
  const out: Values = { ...first };
  for (const [k, v] of Object.entries(then)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? composePatches(prev, v) : v;
  }
  return out;
}
