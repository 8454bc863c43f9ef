// openStore(config): the Store (src/domain/ports/store.ts) on embedded PGlite (<dataDir>/pg) or
// PostgreSQL (databaseUrl). Repos are plain functions of a Queryable, so the same code serves the pool
// and one transaction. This folder holds all of Fleetplane's SQL (docs/adr/0204).
import { InputError } from '../../domain/errors.ts';
import type { Signer } from '../../domain/ports/signer.ts';
import type { Store, StoreTx } from '../../domain/ports/store.ts';
import type { RetryPolicy } from '../../domain/ports/queue.ts';
import type { Db, Queryable } from './db.ts';
import { openDb } from './db.ts';
import { loadSecretKey, secretBox, signer, type SecretBox } from './crypto.ts';
import { exclusive } from './locks.ts';
import { migrate } from './migrate.ts';
import { createQueue } from './queue/index.ts';
import { depth, oldestLeaseAge } from './queue/stats.ts';
import { tenantRepo } from './tenants.ts';
import { environmentRepo } from './environments.ts';
import { operationRepo } from './operations.ts';
import { clusterRepo } from './clusters.ts';
import { blueprintRepo } from './blueprints.ts';
import { revisionRepo } from './revisions.ts';
import { TokenCache, tokenRepo } from './tokens.ts';
import { idempotencyRepo } from './idempotency.ts';
import { rolloutProgress, rolloutRepo } from './rollout-progress.ts';
import { scalingRepo } from './scaling.ts';
import { aiRepo } from './ai.ts';
import { sqlMeteringStore } from './metering.ts';
import { sqlExportStore } from './metering-export.ts';
import { selfManagedRepo } from './self-managed.ts';
import { clusterUpgradeRepo } from './cluster-upgrades.ts';
import { evacuationRepo } from './evacuations.ts';
import { auditRepo, eventRepo, type AuditRepo } from './journal.ts';
import { changeFeedRepo } from './change-events.ts';
import { fleetReportRepo } from './fleet-queries.ts';
import { rateLimitRepo } from './rate-limits.ts';

export type { Db, Queryable } from './db.ts';
export { generateTokenSecret, hashToken, tokenTarget } from './tokens.ts';

export interface StoreConfig {
  /** postgres://… selects PostgreSQL (FLEETPLANE_DATABASE_URL); otherwise embedded in dataDir. */
  databaseUrl?: string | undefined;
  /** FLEETPLANE_DATA_DIR: embedded database (<dataDir>/pg) and the generated secret.key. */
  dataDir: string;
  /** FLEETPLANE_SECRET_KEY: 32 bytes, hex or base64; absent: <dataDir>/secret.key (made on first use). */
  secretKey?: string | undefined;
  /** PostgreSQL pool size (default 10). */
  maxConnections?: number;
  /** Operation retry backoff (default DEFAULT_RETRY; FLEETPLANE_RETRY_BASE_MS / _MAX_MS through serve). */
  retry?: RetryPolicy;
  /** PostgreSQL's token cache: how long an entry is trusted (default TOKEN_CACHE_TTL_MS) and its clock (tests). */
  tokenCache?: { ttlMs?: number; now?: () => number };
}

/** On PostgreSQL a cached token lookup is trusted this long at most, even if a revocation's notification was lost. */
export const TOKEN_CACHE_TTL_MS = 10_000;

/** The Store plus what other adapters and tests build on: the Db itself and the audit log reader. */
export interface SqlStore extends Store {
  readonly db: Db;
  readonly audit: AuditRepo;
  /** The process's token lookup cache (tokens.ts): its state, for tests. */
  readonly tokenCache: TokenCache;
}

export function txRepos(q: Queryable, box: SecretBox, tokens?: { cache: TokenCache; inTransaction: boolean }): StoreTx {
  return {
    tenants: tenantRepo(q), environments: environmentRepo(q), operations: operationRepo(q),
    tokens: tokens ? tokens.cache.wrap(tokenRepo(q), tokens) : tokenRepo(q), idempotency: idempotencyRepo(q, box),
    // Inside Store.tx the open transaction is the one a rollout's rows go in together.
    rollouts: rolloutRepo(q, (fn) => fn(q)),
  };
}

export async function openStore(config: StoreConfig): Promise<SqlStore> {
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new InputError('FLEETPLANE_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const key = await loadSecretKey(config.dataDir, config.secretKey);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: config.maxConnections ?? 10 });
  const box = secretBox(key);
  // Token lookups are kept in the process: for ever on the embedded store (only this process writes
  // it: its directory is locked); on PostgreSQL while the notification of others' writes is heard,
  // each for at most TOKEN_CACHE_TTL_MS (tokens.ts, ADR 0205).
  const tokens = db.kind === 'embedded'
    ? new TokenCache()
    : new TokenCache({ ttlMs: config.tokenCache?.ttlMs ?? TOKEN_CACHE_TTL_MS, ...(config.tokenCache?.now ? { now: config.tokenCache.now } : {}), watch: (onChange, onLost) => db.listen('fleetplane_tokens', onChange, onLost) });
  return {
    kind: db.kind,
    db,
    tokenCache: tokens,
    ...txRepos(db, box, { cache: tokens, inTransaction: false }),
    async migrate() {
      await migrate(db);
    },
    async close() {
      await tokens.close();
      await db.close();
    },
    tx: (fn) => db.transaction((q) => fn(txRepos(q, box, { cache: tokens, inTransaction: true }))),
    async ping() {
      await db.query('SELECT 1');
    },
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    exclusive: (lock, fn) => exclusive(db, lock, fn),
    rateLimits: rateLimitRepo(db),
    clusters: clusterRepo(db, box),
    blueprints: blueprintRepo(db),
    revisions: revisionRepo(db),
    rollouts: rolloutRepo(db, (fn) => db.transaction(fn)),
    queue: createQueue(db, config.retry),
    scaling: scalingRepo(db),
    ai: aiRepo(db),
    metering: sqlMeteringStore(db),
    meteringExports: sqlExportStore(db),
    selfManaged: selfManagedRepo(db),
    clusterUpgrades: clusterUpgradeRepo(db),
    evacuations: evacuationRepo(db),
    stats: { queueDepth: () => depth(db), oldestLeaseAge: () => oldestLeaseAge(db), rolloutProgress: () => rolloutProgress(db) },
    events: eventRepo(db),
    audit: auditRepo(db),
    changes: changeFeedRepo(db),
    fleet: fleetReportRepo(db),
  };
}

/**
 * The signer of self-managed bundles: Ed25519 derived from the same secret key the store uses
 * (FLEETPLANE_SECRET_KEY or <dataDir>/secret.key), so every server sharing the key signs alike.
 */
export async function bundleSigner(config: Pick<StoreConfig, 'dataDir' | 'secretKey'>): Promise<Signer> {
  return signer(await loadSecretKey(config.dataDir, config.secretKey), 'bundles');
}
