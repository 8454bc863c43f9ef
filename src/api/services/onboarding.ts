// One-call onboarding: validate the tenant and every environment, then in ONE transaction create
// the tenant, its environments (health Progressing) and an `onboard` Operation per environment.
// Placement is left to the engine: environments without an explicit cluster are stored with
// cluster "" and the engine's `place` step (src/plan/placement.ts) chooses one.
import type { Store, StoreTx } from '../../domain/ports/store.ts';
import { ConflictError, type FieldIssue } from '../../domain/errors.ts';
import { defaultNamespace } from '../../domain/naming.ts';
import { INITIAL_HEALTH } from '../../domain/state.ts';
import type { Cluster, Environment, Operation, Tenant } from '../../domain/types.ts';
import { IssueList, environmentNameIssue, slugIssue } from '../../domain/validation.ts';
import { dedicatedTenant } from '../../plan/placement.ts';
import { stepsFor } from '../../plan/workflows.ts';
import type { EnvironmentCreate, TenantCreate } from '../schemas.ts';
import { assertSameOperationRequest, assertSameRequest, type IdempotentRequest } from './idempotency.ts';
import { envSpecIssues } from './releases.ts';

export interface OnboardResult {
  tenant: Tenant;
  environments: Environment[];
  operations: Operation[];
  /** false when this was a replay of an earlier request with the same key. */
  created: boolean;
}

/**
 * Every problem with the environments of a request, as JSON pointers under `base` (`/environments`
 * gives `/environments/0/name`); base null is a request body that is one environment (`/name`).
 */
export async function environmentIssues(store: Store, tenant: string, envs: EnvironmentCreate[], base: string | null): Promise<FieldIssue[]> {
  const issues = new IssueList();
  const seen = new Set<string>();
  for (const [i, e] of envs.entries()) {
    const at = base === null ? '' : `${base}/${i}`;
    issues.check(`${at}/name`, environmentNameIssue(e.name));
    if (seen.has(e.name)) issues.check(`${at}/name`, `duplicate environment "${e.name}"`);
    seen.add(e.name);
    if (e.cluster) issues.check(`${at}/cluster`, explicitClusterIssue(tenant, e.cluster, await store.clusters.get(e.cluster)));
    issues.add(...(await envSpecIssues(store, { ...e, values: e.values ?? {} }, at)));
  }
  return issues.issues;
}

/** An explicit cluster must exist and must not be dedicated to another tenant (the place step checks it again). */
function explicitClusterIssue(tenant: string, name: string, cluster: Pick<Cluster, 'role'> | null): string | null {
  if (!cluster) return `cluster "${name}" is not registered`;
  const dedicatedTo = dedicatedTenant(cluster.role);
  return dedicatedTo !== null && dedicatedTo !== tenant ? `cluster "${name}" is dedicated to another tenant` : null;
}

export function newEnvironment(tenant: string, e: EnvironmentCreate): Omit<Environment, 'resourceVersion' | 'createdAt' | 'updatedAt'> {
  return {
    tenant,
    name: e.name,
    type: e.type,
    blueprint: e.blueprint,
    version: e.version,
    values: e.values ?? {},
    placement: { cluster: e.cluster ?? '', namespace: defaultNamespace(tenant, e.name) },
    delivery: e.delivery ?? 'direct',
    selfHeal: e.selfHeal ?? true,
    desiredRevision: null,
    appliedRevision: null,
    lastGoodRevision: null,
    health: INITIAL_HEALTH,
    conditions: [],
  };
}

/** Idempotency key of the n-th operation of one request: the first one carries the bare key. */
function opKey(key: string | undefined, envName: string, index: number): string | undefined {
  if (!key) return undefined;
  return index === 0 ? key : `${key}#${envName}`;
}

/** Creates an environment and its onboard operation inside tx. */
export async function addEnvironment(tx: StoreTx, tenant: string, e: EnvironmentCreate, meta: IdempotentRequest, index = 0) {
  const environment = await tx.environments.create(newEnvironment(tenant, e));
  const { operation } = await tx.operations.create({
    kind: 'onboard',
    tenant,
    environment: e.name,
    params: { requestHash: meta.requestHash, blueprint: e.blueprint, version: e.version },
    steps: stepsFor('onboard'),
    idempotencyKey: opKey(meta.key, e.name, index) ?? null,
    requestId: meta.requestId ?? null,
  });
  return { environment, operation };
}

/** The idempotency record target of a tenant. */
const tenantTarget = (slug: string) => `tenant/${slug}`;

/**
 * A tenant created without environments started no Operation: its key lives in an idempotency
 * record instead (written in the creating transaction), so a retry replays it rather than 409.
 */
async function replayWithoutOperations(store: Store | StoreTx, input: TenantCreate, key: string, requestHash: string): Promise<OnboardResult | null> {
  const rec = await store.idempotency.get(key);
  if (!rec) return null;
  assertSameRequest(rec.requestHash, requestHash);
  const tenant = await store.tenants.get(input.slug);
  return tenant ? { tenant, environments: [], operations: [], created: false } : null;
}

async function replay(store: Store | StoreTx, input: TenantCreate, meta: IdempotentRequest): Promise<OnboardResult | null> {
  if (!meta.key) return null;
  const first = await store.operations.findByIdempotencyKey(meta.key);
  if (!first) return replayWithoutOperations(store, input, meta.key, meta.requestHash);
  assertSameOperationRequest(first, meta.requestHash);
  const tenant = await store.tenants.get(input.slug);
  if (!tenant) return null;
  const envs = input.environments ?? [];
  const operations: Operation[] = [];
  const environments: Environment[] = [];
  for (const [i, e] of envs.entries()) {
    const op = i === 0 ? first : await store.operations.findByIdempotencyKey(opKey(meta.key, e.name, i)!);
    if (op) operations.push(op);
    const env = await store.environments.get(input.slug, e.name);
    if (env) environments.push(env);
  }
  return { tenant, environments, operations, created: false };
}

/** Records the key of an onboarding that started no Operation; a concurrent holder → ConflictError (replayed by the caller). */
async function keepKey(tx: StoreTx, slug: string, keyed: { key: string; requestHash: string }): Promise<void> {
  const rec = { ...keyed, status: 201, target: tenantTarget(slug), location: `/v1/tenants/${slug}` };
  if (!(await tx.idempotency.put(rec))) throw new ConflictError('a concurrent request holds this Idempotency-Key; retry');
}

export function validateTenantInput(input: TenantCreate): void {
  new IssueList().check('/slug', slugIssue(input.slug)).throwIfAny();
}

export async function onboardTenant(store: Store, input: TenantCreate, meta: IdempotentRequest): Promise<OnboardResult> {
  validateTenantInput(input);
  const early = await replay(store, input, meta);
  if (early) return early;
  new IssueList().add(...(await environmentIssues(store, input.slug, input.environments ?? [], '/environments'))).throwIfAny();
  try {
    return await store.tx(async (tx) => {
      // Checked again inside the transaction: a concurrent retry may have committed meanwhile.
      const again = await replay(tx, input, meta);
      if (again) return again;
      if (await tx.tenants.get(input.slug)) throw new ConflictError(`tenant "${input.slug}" already exists`, [{ field: '/slug', message: 'already exists' }]);
      const tenant = await tx.tenants.create({
        slug: input.slug,
        name: input.name,
        tier: input.tier,
        channel: input.channel ?? 'saas',
        labels: input.labels ?? {},
        ...(input.region ? { region: input.region } : {}),
        ...(input.maintenanceWindow ? { maintenanceWindow: input.maintenanceWindow } : {}),
      });
      const environments: Environment[] = [];
      const operations: Operation[] = [];
      for (const [i, e] of (input.environments ?? []).entries()) {
        const r = await addEnvironment(tx, input.slug, e, meta, i);
        environments.push(r.environment);
        operations.push(r.operation);
      }
      if (meta.key && operations.length === 0) await keepKey(tx, input.slug, { key: meta.key, requestHash: meta.requestHash });
      return { tenant, environments, operations, created: true };
    });
  } catch (err) {
    // Lost a race with a concurrent retry of the same request: answer what the winner created.
    if (err instanceof ConflictError) {
      const late = await replay(store, input, meta);
      if (late) return late;
    }
    throw err;
  }
}
