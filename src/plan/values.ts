// Desired version and values of an environment for an operation: the environment's own, overlaid
// with the operation's params (upgrade: version; patch/reconfigure/scale: values overrides merged
// deeply, null deletes a key).
import type { Environment } from '../domain/types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergeValues(base: Obj, patch: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = mergeValues(out[k] as Obj, v);
    else out[k] = v;
  }
  return out;
}

export interface DesiredSpec {
  version: string;
  values: Obj;
}

export function desiredSpec(env: Pick<Environment, 'version' | 'values'>, params: Obj): DesiredSpec {
  const version = typeof params.version === 'string' && params.version ? params.version : env.version;
  let values = env.values;
  if (isObj(params.values)) values = params.replaceValues === true ? params.values : mergeValues(env.values, params.values);
  // scale: {component, replicas} is a values override of that component.
  if (typeof params.component === 'string' && typeof params.replicas === 'number') {
    values = mergeValues(values, { components: { [params.component]: { replicas: params.replicas } } });
  }
  return { version, values };
}
