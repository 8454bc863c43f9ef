// Environment values: blueprint parameters (validated by the blueprint's JSON Schema, defaults filled)
// plus two reserved keys: `components` (per-component sizing and image overrides) and `secrets`
// (where each secret reference comes from). Secret *values* are never accepted here: the override
// schema only admits names and remote keys, and its errors never echo the offending value.
import { Ajv, type ValidateFunction } from 'ajv';
import {
  ajvIssues, IMAGE_TAG_PATTERN, parameterValidator, QUANTITY_SCHEMA, RESERVED_VALUE_KEYS, SCALING_SCHEMA,
  type Blueprint, type ComponentSizing, type Resources, type Scaling,
} from '../domain/blueprint.ts';
import { DNS_SUBDOMAIN_MAX, NAME_PATTERNS } from '../domain/naming.ts';
import { InputError } from '../domain/errors.ts';
import { isPlainObject, mergeValues } from '../domain/values.ts';

export interface ComponentOverride extends ComponentSizing { imageTag?: string }
export interface SecretOverride { existingSecret?: string; remoteRef?: { key: string; properties?: string[] } }

export interface SplitValues {
  params: Record<string, unknown>;
  components: Record<string, ComponentOverride>;
  secrets: Record<string, SecretOverride>;
}

const resourceList = { type: 'object', additionalProperties: false, properties: { cpu: QUANTITY_SCHEMA, memory: QUANTITY_SCHEMA } };
const OVERRIDES_SCHEMA = {
  type: 'object',
  properties: {
    components: {
      type: 'object',
      additionalProperties: {
        type: 'object', additionalProperties: false,
        properties: {
          replicas: { type: 'integer', minimum: 0, maximum: 1000 },
          imageTag: { type: 'string', pattern: IMAGE_TAG_PATTERN },
          resources: { type: 'object', additionalProperties: false, properties: { requests: resourceList, limits: resourceList } },
          scaling: SCALING_SCHEMA,
          disruption: { type: 'null' },
        },
      },
    },
    secrets: {
      type: 'object',
      additionalProperties: {
        type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
        properties: {
          existingSecret: { type: 'string', pattern: NAME_PATTERNS.dnsSubdomain, maxLength: DNS_SUBDOMAIN_MAX },
          remoteRef: { type: 'object', additionalProperties: false, required: ['key'], properties: { key: { type: 'string', minLength: 1, maxLength: 512 }, properties: { type: 'array', items: { type: 'string', maxLength: 253 } } } },
        },
      },
    },
  },
} as const;

let overridesValidator: ValidateFunction | undefined;

function validateOverrides(values: Record<string, unknown>, bp: Blueprint): void {
  if (values.components === undefined && values.secrets === undefined) return;
  overridesValidator ??= new Ajv({ allErrors: true, strict: false }).compile(OVERRIDES_SCHEMA);
  if (!overridesValidator(values)) {
    // Messages name the field only; Ajv's messages never include the instance value.
    const issues = ajvIssues(overridesValidator.errors, '/values');
    throw new InputError(`invalid values: ${issues[0]!.field} ${issues[0]!.message}`, issues);
  }
  const names = new Set(bp.spec.components.map((c) => c.name));
  for (const name of Object.keys((values.components as object | undefined) ?? {})) {
    if (!names.has(name)) throw new InputError(`invalid values: /values/components/${name} is not a component of ${bp.metadata.name}`, [{ field: `/values/components/${name}`, message: 'unknown component' }]);
  }
  const refs = new Set(bp.spec.components.flatMap((c) => (c.secrets ?? []).map((s) => s.name)));
  for (const name of Object.keys((values.secrets as object | undefined) ?? {})) {
    if (!refs.has(name)) throw new InputError(`invalid values: /values/secrets/${name} is not a secret reference of ${bp.metadata.name}`, [{ field: `/values/secrets/${name}`, message: 'unknown secret reference' }]);
  }
}

/** Validate environment values against the blueprint and split them; parameter defaults filled in. */
export function splitValues(bp: Blueprint, envType: keyof Blueprint['spec']['environmentTypes'], values: Record<string, unknown> = {}): SplitValues {
  if (!isPlainObject(values)) throw new InputError('invalid values: /values must be an object', [{ field: '/values', message: 'must be an object' }]);
  validateOverrides(values, bp);
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (!(RESERVED_VALUE_KEYS as readonly string[]).includes(k)) raw[k] = v;
  // Fresh objects (mergeValues copies), so Ajv's default filling never touches the inputs; a null
  // value deletes the key, so the environment type's default (or the schema's) applies.
  const params = mergeValues(bp.spec.environmentTypes[envType].parameters ?? {}, raw);
  const validate = parameterValidator(bp);
  if (!validate(params)) {
    const issues = ajvIssues(validate.errors, '/values');
    throw new InputError(`invalid values: ${issues[0]!.field} ${issues[0]!.message}`, issues);
  }
  return {
    params,
    components: (values.components ?? {}) as Record<string, ComponentOverride>,
    secrets: (values.secrets ?? {}) as Record<string, SecretOverride>,
  };
}

export function mergeResources(...layers: Array<Resources | undefined>): Resources {
  const out: Resources = {};
  for (const r of layers) {
    if (!r) continue;
    if (r.requests) out.requests = { ...out.requests, ...r.requests };
    if (r.limits) out.limits = { ...out.limits, ...r.limits };
  }
  return out;
}

/** Pick the last layer that says something about `key` (null counts: it switches a feature off). */
export function lastDefined<K extends keyof ComponentSizing>(key: K, layers: Array<ComponentSizing | undefined>): ComponentSizing[K] | undefined {
  let out: ComponentSizing[K] | undefined;
  for (const l of layers) if (l && l[key] !== undefined) out = l[key];
  return out;
}

export type { Scaling };
