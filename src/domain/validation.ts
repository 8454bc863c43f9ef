// Domain validation rules shared by the API, the CLI and the engine: names are DNS-1123 labels,
// versions are semver, environment values must satisfy the blueprint release's JSON Schema.
// Each check returns issues (field pointer + message) instead of throwing, so callers can collect
// every problem in one answer.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import semver from 'semver';
import type { FieldIssue } from './errors.ts';
import { InputError, coerceError } from './errors.ts';
import { DNS_LABEL_MAX, isDnsLabel } from './naming.ts';

/** "a, b or c": an enumeration as messages spell it ("must be shared, dedicated or hybrid"). */
export function oneOf(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** Names that collide with Kubernetes or Fleetplane's own namespaces and routes. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'default', 'kube-system', 'kube-public', 'kube-node-lease', 'fleetplane', 'fleetplane-system',
  'argocd', 'admin', 'api', 'system', 'all', 'new',
]);

export function dnsLabelIssue(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > DNS_LABEL_MAX) return `must be at most ${DNS_LABEL_MAX} characters (DNS-1123 label)`;
  if (!isDnsLabel(value)) {
    return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return null;
}

/** Tenant slugs and cluster names: DNS labels that are not reserved. */
export function slugIssue(value: unknown): string | null {
  const issue = dnsLabelIssue(value);
  if (issue) return issue;
  return RESERVED_NAMES.has(value as string) ? `"${String(value)}" is a reserved name` : null;
}

/** Environment names end up in namespace names (<tenant>-<env>), so keep them short labels. */
export function environmentNameIssue(value: unknown): string | null {
  return dnsLabelIssue(value);
}

export function versionIssue(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  return semver.valid(value) === value ? null : 'must be a semantic version like 1.4.0';
}

/** Collects issues; `check` adds one when the rule returns a message. */
export class IssueList {
  readonly issues: FieldIssue[] = [];
  check(field: string, message: string | null): this {
    if (message) this.issues.push({ field, message });
    return this;
  }
  add(...issues: FieldIssue[]): this {
    this.issues.push(...issues);
    return this;
  }
  get ok(): boolean {
    return this.issues.length === 0;
  }
  /** Throws one InputError naming every offending field. */
  throwIfAny(summary = 'invalid input'): void {
    if (this.issues.length === 0) return;
    const first = this.issues[0]!;
    const detail = this.issues.length === 1 ? `${first.field}: ${first.message}` : `${summary}: ${this.issues.length} problems, first ${first.field}: ${first.message}`;
    throw new InputError(detail, this.issues);
  }
}

// ---- JSON Schema for values ----

// ajv-formats' default export is typed as a module namespace under NodeNext.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

/** An Ajv with the standard string formats (uri, date-time, ...): the one place ajv-formats is wired. */
export function ajvWithFormats(options: Options): Ajv {
  return addFormats(new Ajv(options));
}

// Strict, every error, and no coercion, defaults or stripping: values are checked as given.
const ajv = ajvWithFormats({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false });
const compiled = new Map<string, ValidateFunction>();

/** Compiles a values schema (cached by its canonical text); returns issues when it is not a valid schema. */
export function compileValuesSchema(schema: unknown): { validate?: ValidateFunction; issues: FieldIssue[] } {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return { issues: [{ field: '', message: 'values schema must be a JSON Schema object' }] };
  }
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return { validate: hit, issues: [] };
  try {
    const validate = ajv.compile(schema as object);
    compiled.set(key, validate);
    return { validate, issues: [] };
  } catch (err) {
    return { issues: [{ field: '', message: `invalid JSON Schema: ${coerceError(err).message}` }] };
  }
}

/** Maps Ajv errors to issues whose field is a JSON pointer under `base`. */
export function ajvIssues(errors: ErrorObject[] | null | undefined, base = ''): FieldIssue[] {
  return (errors ?? []).map((e) => {
    let pointer = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      pointer += `/${escapePointer(prop)}`;
      message = 'unknown field';
    } else if (e.keyword === 'required') {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      pointer += `/${escapePointer(prop)}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')}`;
    }
    return { field: base + pointer, message };
  });
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Validates values against a blueprint release's values schema; issues point under `base`. */
export function valuesIssues(schema: unknown, values: unknown, base = '/values'): FieldIssue[] {
  if (schema === undefined || schema === null) return [];
  const { validate, issues } = compileValuesSchema(schema);
  if (!validate) return issues.map((i) => ({ ...i, field: `${base}${i.field}`, message: `blueprint ${i.message}` }));
  return validate(values) ? [] : ajvIssues(validate.errors, base);
}

/**
 * Where a spec keeps its values schema: `parameters.schema` in a blueprint (./blueprint.ts), or one
 * of the common spellings of other documents.
 */
export function valuesSchemaOf(spec: Record<string, unknown>): unknown {
  const params = spec.parameters as Record<string, unknown> | undefined;
  if (params && typeof params === 'object') {
    if (params.schema !== undefined) return params.schema;
    if (params.type === 'object' || params.properties !== undefined) return params;
  }
  return spec.valuesSchema ?? spec.schema ?? (spec.values as Record<string, unknown> | undefined)?.schema;
}
