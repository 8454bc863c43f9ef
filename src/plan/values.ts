// Desired version and values of an environment for an operation: the environment's own, overlaid
// with the operation's params (upgrade: version; patch/reconfigure/scale: values overrides merged
// deeply, null deletes a key: domain/values.ts mergeValues, the rule the API validated them with).
import type { Environment } from '../domain/types.ts';
import { isPlainObject as isObj, mergeValues, type Values as Obj } from '../domain/values.ts';

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
