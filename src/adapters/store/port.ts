// The store port: everything the API, the engine and the CLI need from persistence.
// Two backends implement it with one SQL dialect: embedded PGlite (default) and PostgreSQL
// (FLEETPLANE_DATABASE_URL). Methods that change state and start long work create the Operation
// in the same transaction as the change (see createTenantWithOnboarding).
import type { Cluster, ClusterCapacity, Environment, Operation, OperationKind, Revision, Rollout, Tenant } from '../../domain/types.ts';
import type { OperationQueue } from './queue/types.ts';
import type { Signer } from './crypto.ts';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, absent on the last page. */
  next?: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface BlueprintRelease {
  name: string;
  version: string;
  /** The blueprint document's `spec` section (validated at publish; blueprintFromRelease parses it back). */
  spec: Record<string, unknown>;
  /** releaseDigest(name, version, spec) (src/domain/blueprint.ts), = Blueprint.digest; a release is immutable. */
  digest: string;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  name: string;
  /** null for admin tokens. */
  tenant: string | null;
  role: 'admin' | 'tenant-admin' | 'tenant-viewer';
  createdAt: string;
}

export interface NewOperation {
  kind: OperationKind;
  tenant: string;
  environment?: string | null;
  params: Record<string, unknown>;
  steps: string[];
  idempotencyKey?: string | null;
  requestId?: string | null;
}

export type { ClaimedOperation } from './queue/types.ts';

export interface StoreTx {
  // The same read/write methods, bound to one transaction.
  tenants: TenantRepo;
  environments: EnvironmentRepo;
  operations: OperationRepo;
  tokens: TokenRepo;
  idempotency: IdempotencyRepo;
}

/** What a keyed request answered, for replays of requests whose result is not an Operation. */
export interface IdempotencyRecord {
  /** The caller-scoped Idempotency-Key (see src/api/http.ts). */
  key: string;
  requestHash: string;
  status: number;
  /** What the request created, e.g. token/<id> or tenant/<slug>. */
  target: string;
  location: string | null;
  /** The response body (stored sealed); null when none was kept or it was destroyed (token revoked). */
  response: unknown;
  createdAt: string;
  /** null: kept as long as the operations' keys are. */
  expiresAt: string | null;
}

export interface NewIdempotencyRecord {
  key: string;
  requestHash: string;
  status: number;
  target: string;
  location?: string | null;
  /** Sealed at rest with the store's secret key; only for answers that cannot be rebuilt. */
  response?: unknown;
  /** Lifetime; absent: no expiry. */
  ttlSeconds?: number;
}

export interface IdempotencyRepo {
  /** The live (unexpired) record for a key, its sealed response opened. */
  get(key: string): Promise<IdempotencyRecord | null>;
  /** false when a live record already holds the key (a concurrent request committed first). */
  put(rec: NewIdempotencyRecord): Promise<boolean>;
  /** Destroys the kept responses of records for target; the records stay, so a replay can say why. */
  forget(target: string): Promise<void>;
}

export interface TokenRepo {
  /** Stores only a hash of the secret. */
  create(t: Omit<TokenRecord, 'id' | 'createdAt'>, secret: string): Promise<TokenRecord>;
  verify(secret: string): Promise<TokenRecord | null>;
  list(): Promise<TokenRecord[]>;
  /** Also destroys any kept idempotent response carrying its secret. */
  revoke(id: string): Promise<void>;
  count(): Promise<number>;
}

export interface TenantRepo {
  create(t: Omit<Tenant, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Tenant>;
  get(slug: string): Promise<Tenant | null>;
  /** Soft-deleted tenants are left out unless includeDeleted; get() returns them with deletedAt set. */
  list(page: PageRequest & { tenant?: string; includeDeleted?: boolean }): Promise<Page<Tenant>>;
  /** Throws PreconditionFailedError when expectedVersion is given and stale. */
  update(slug: string, patch: Partial<Tenant>, expectedVersion?: number): Promise<Tenant>;
  markDeleted(slug: string): Promise<void>;
}

export interface EnvironmentRepo {
  create(e: Omit<Environment, 'resourceVersion' | 'createdAt' | 'updatedAt'>): Promise<Environment>;
  get(tenant: string, name: string): Promise<Environment | null>;
  list(filter: PageRequest & { tenant?: string; cluster?: string }): Promise<Page<Environment>>;
  update(tenant: string, name: string, patch: Partial<Environment>, expectedVersion?: number): Promise<Environment>;
  delete(tenant: string, name: string): Promise<void>;
}

export interface OperationRepo {
  /** Returns the existing operation when idempotencyKey was already used (created=false). */
  create(op: NewOperation): Promise<{ operation: Operation; created: boolean }>;
  get(id: string): Promise<Operation | null>;
  findByIdempotencyKey(key: string): Promise<Operation | null>;
  /** Newest first. */
  list(filter: PageRequest & { tenant?: string; state?: string; environment?: string; kind?: string }): Promise<Page<Operation>>;
}

export interface Store extends StoreTx {
  readonly kind: 'embedded' | 'postgres';
  /** Signs self-managed bundles (Ed25519, derived from the secret key; see crypto.ts). */
  readonly bundleSigner: Signer;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Runs fn in one transaction; rolls back on throw. */
  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;

  clusters: {
    upsert(c: Omit<Cluster, 'createdAt' | 'updatedAt'> & { credentials?: string }): Promise<Cluster>;
    get(name: string): Promise<Cluster | null>;
    list(page: PageRequest): Promise<Page<Cluster>>;
    /** Decrypted kubeconfig / credentials (encrypted at rest). */
    credentials(name: string): Promise<string | null>;
    /** Records capacity observed from the cluster (engine); nothing else changes. False when unknown. */
    setCapacity(name: string, capacity: ClusterCapacity): Promise<boolean>;
    delete(name: string): Promise<void>;
  };
  blueprints: {
    /** Immutable: publishing the same name+version with a different digest is a ConflictError. */
    publish(b: Omit<BlueprintRelease, 'createdAt'>): Promise<{ release: BlueprintRelease; created: boolean }>;
    get(name: string, version: string): Promise<BlueprintRelease | null>;
    list(page: PageRequest & { name?: string }): Promise<Page<BlueprintRelease>>;
  };
  revisions: {
    /** Idempotent on (tenant, environment, id). */
    save(r: Revision): Promise<void>;
    get(tenant: string, environment: string, id: string): Promise<Revision | null>;
    list(tenant: string, environment: string): Promise<Array<Pick<Revision, 'id' | 'version' | 'createdAt'>>>;
  };
  rollouts: {
    create(r: Omit<Rollout, 'createdAt' | 'updatedAt'>): Promise<Rollout>;
    get(id: string): Promise<Rollout | null>;
    list(page: PageRequest): Promise<Page<Rollout>>;
    update(id: string, patch: Partial<Rollout>): Promise<Rollout>;
  };
  /** Durable work queue for operations: leases with FOR UPDATE SKIP LOCKED (see ./queue/). */
  queue: OperationQueue;
  events: {
    /** Records a CloudEvent id; false when it was seen before (dedupe). */
    recordOnce(source: string, id: string, type: string): Promise<boolean>;
  };
  audit: {
    append(entry: { actor: string; action: string; tenant?: string | null; target: string; detail?: Record<string, unknown> }): Promise<void>;
  };
}
