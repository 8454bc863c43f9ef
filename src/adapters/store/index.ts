// openStore(config): the Store on embedded PGlite (<dataDir>/pg) or PostgreSQL (databaseUrl).
// Repos are plain functions of a Queryable, so the same code serves the pool and one transaction.
import { InputError } from '../../domain/errors.ts';
import type { Db, Queryable } from './db.ts';
import { openDb } from './db.ts';
import { loadSecretKey, secretBox, signer, type SecretBox } from './crypto.ts';
import { migrate } from './migrate.ts';
import type { Store, StoreTx } from './port.ts';
import { createQueue } from './queue/index.ts';
import { tenantRepo } from './tenants.ts';
import { environmentRepo } from './environments.ts';
import { operationRepo } from './operations.ts';
import { clusterRepo } from './clusters.ts';
import { blueprintRepo } from './blueprints.ts';
import { revisionRepo } from './revisions.ts';
import { tokenRepo } from './tokens.ts';
import { idempotencyRepo } from './idempotency.ts';
import { rolloutRepo } from './rollouts.ts';
import { auditRepo, eventRepo, type AuditRepo } from './journal.ts';

export type { Db, Queryable } from './db.ts';
export type * from './port.ts';
export { generateTokenSecret, hashToken, tokenTarget } from './tokens.ts';

export interface StoreConfig {
  /** postgres://… selects PostgreSQL (FLEETPLANE_DATABASE_URL); otherwise embedded in dataDir. */
  databaseUrl?: string | undefined;
  /** FLEETPLANE_DATA_DIR: embedded database (<dataDir>/pg) and the generated secret.key. */
  dataDir: string;
  /** 32 bytes, hex or base64; defaults to FLEETPLANE_SECRET_KEY, then <dataDir>/secret.key. */
  secretKey?: string | undefined;
  /** PostgreSQL pool size (default 10). */
  maxConnections?: number;
}

/** The Store plus what other adapters build on: the Db itself and the audit log reader. */
export interface SqlStore extends Store {
  readonly db: Db;
  readonly audit: AuditRepo;
}

export function txRepos(q: Queryable, box: SecretBox): StoreTx {
  return {
    tenants: tenantRepo(q), environments: environmentRepo(q), operations: operationRepo(q),
    tokens: tokenRepo(q), idempotency: idempotencyRepo(q, box),
  };
}

/** FLEETPLANE_DATABASE_URL, FLEETPLANE_DATA_DIR (default ./.fleetplane/data), FLEETPLANE_SECRET_KEY. */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return {
    databaseUrl: env.FLEETPLANE_DATABASE_URL || undefined,
    dataDir: env.FLEETPLANE_DATA_DIR || './.fleetplane/data',
    secretKey: env.FLEETPLANE_SECRET_KEY || undefined,
  };
}

export async function openStore(config: StoreConfig): Promise<SqlStore> {
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new InputError('FLEETPLANE_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const key = await loadSecretKey(config.dataDir, config.secretKey ?? process.env.FLEETPLANE_SECRET_KEY);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, maxConnections: config.maxConnections ?? 10 });
  const box = secretBox(key);
  return {
    kind: db.kind,
    db,
    ...txRepos(db, box),
    async migrate() {
      await migrate(db);
    },
    close: () => db.close(),
    tx: (fn) => db.transaction((q) => fn(txRepos(q, box))),
    async ping() {
      await db.query('SELECT 1');
    },
    clusters: clusterRepo(db, box),
    blueprints: blueprintRepo(db),
    revisions: revisionRepo(db),
    rollouts: rolloutRepo(db),
    queue: createQueue(db),
    events: eventRepo(db),
    audit: auditRepo(db),
    bundleSigner: signer(key, 'bundles'),
  };
}
