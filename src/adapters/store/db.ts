// One tiny database interface over two backends that speak the same SQL dialect:
// embedded PGlite (a data directory, zero setup) and a real PostgreSQL server through a pg Pool.
// Everything above this file (store repos, the queue, migrations) only sees Db / Queryable.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { lockDir } from './dir-lock.ts';
import { StoreUnavailableError } from '../../domain/errors.ts';

export interface QueryResult<T> {
  rows: T[];
}

/** Something that runs SQL: the Db itself or one open transaction. */
export interface Queryable {
  /** One statement with $1..$n parameters. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Several statements, no parameters (migration files). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'embedded' | 'postgres';
  /** Runs fn in one transaction (BEGIN/COMMIT); rolls back and rethrows when fn throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` (a plain identifier) from any connection or process.
   * PostgreSQL: one dedicated connection, re-established after a drop (`onNotify` is called once it
   * is back, `onLost` when it drops: notifications may be missed in between). Returns the unsubscribe.
   */
  listen(channel: string, onNotify: () => void, onLost?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL_RE = /^[a-z_][a-z0-9_]{0,62}$/;
function checkChannel(channel: string): void {
  // LISTEN takes no bind parameters, so the name is spliced into SQL: allow identifiers only.
  if (!CHANNEL_RE.test(channel)) throw new Error(`invalid notification channel name: ${channel}`);
}

export interface DbConfig {
  /** postgres://… selects the PostgreSQL backend; otherwise embedded PGlite in <dataDir>/pg. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL (default 10). */
  maxConnections?: number;
}

export async function openDb(config: DbConfig): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.maxConnections ?? 10);
  return openEmbedded(join(config.dataDir, 'pg'));
}

/**
 * PostgreSQL's 128 MB buffer pool lives in PGlite's WebAssembly memory, which only grows: it was a
 * third of an idle `serve`'s RSS (bench memory/api). The embedded store's data is small and its files
 * stay in the OS page cache, so a 32 MB pool costs little; measured by `npm run bench -- api`.
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=32MB'];

// PGlite is a single connection. Its query() and transaction() share one internal mutex, so a
// query issued from outside a running transaction waits until that transaction ends instead of
// running inside it. We add our own mutex on top so this guarantee doesn't hang on a library detail.
export async function openEmbedded(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const dirLock = await lockDir(`${dir}.lock`, `embedded database ${dir}`);
  let lite: PGlite;
  try {
    lite = await PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS] });
  } catch (err) {
    await dirLock.release();
    throw err;
  }
  const lock = new Mutex();
  // PGlite reports a full disk as PostgreSQL does (SQLSTATE 53100) and goes on once there is room.
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await unavailableAsTyped(() => q.query<T>(sql, params));
      return { rows: r.rows };
    },
    async exec(sql: string) {
      await unavailableAsTyped(() => q.exec(sql));
    },
  });
  const direct = wrap(lite);
  // A top-level call from inside a transaction callback would wait on the mutex that callback holds
  // forever; fail loudly instead (use the Queryable the callback received).
  const inTx = new AsyncLocalStorage<true>();
  const guarded = <T>(fn: () => Promise<T>): Promise<T> => {
    if (inTx.getStore()) return Promise.reject(new Error('embedded store: top-level query inside a transaction would deadlock; use the transaction\'s repos'));
    return lock.run(fn);
  };
  return {
    kind: 'embedded',
    query: (sql, params) => guarded(() => direct.query(sql, params)),
    exec: (sql) => guarded(() => direct.exec(sql)),
    transaction: (fn) => guarded(() => unavailableAsTyped(() => lite.transaction((tx) => inTx.run(true, () => fn(wrap(tx)))))),
    listen: async (channel, onNotify) => {
      checkChannel(channel);
      const unlisten = await guarded(() => lite.listen(channel, () => onNotify()));
      return () => (lite.closed ? Promise.resolve() : guarded(() => unlisten()));
    },
    close: () => lock.run(async () => {
      if (lite.closed) return;
      await lite.close();
      await dirLock.release();
    }),
  };
}

/**
 * SQLSTATE classes and socket codes that mean "the store cannot take this now" (not "this request is
 * wrong"): connection exceptions (08), insufficient resources (53: disk full, out of memory, too many
 * connections), operator intervention (57P01-57P03: shutdown, crash, starting up).
 */
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
export function asStoreUnavailable(err: unknown): StoreUnavailableError | null {
  if (err instanceof StoreUnavailableError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const why = code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03'].includes(code) ? `the database refused it (SQLSTATE ${code}: ${message})`
    : UNAVAILABLE_SOCKET.has(code) ? `the database is not reachable (${code})`
      : /Connection terminated|connection is not queryable|Client has encountered a connection error/i.test(message) ? `the connection to the database was lost (${message})`
        : null;
  return why ? new StoreUnavailableError(`the store is unavailable: ${why}; nothing was written, try again`, [], { cause: err }) : null;
}

async function unavailableAsTyped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asStoreUnavailable(err) ?? err;
  }
}

export async function openPostgres(url: string, max: number): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max, types: { getTypeParser: typeParser as typeof pg.types.getTypeParser } });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor a client the pool has handed out: the server ending its connection (a restart, an admin's
  // pg_terminate_backend) between two of its queries emits 'error' on the client, where the pool
  // listens only while it is idle (seen: serve crashed when PostgreSQL restarted under load). The
  // query in flight fails on its own, and the pool drops a client that is no longer queryable.
  pool.on('connect', (client) => { client.on('error', () => undefined); });
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await unavailableAsTyped(() => c.query(sql, params));
      return { rows: r.rows as T[] };
    },
    async exec(sql: string) {
      await unavailableAsTyped(() => c.query(sql));
    },
  });
  const direct = wrap(pool);
  return {
    kind: 'postgres',
    query: direct.query,
    exec: direct.exec,
    async transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await unavailableAsTyped(() => pool.connect());
      // A checked-out client has no listener of the pool's: the server ending its connection between
      // two queries (a restart, an admin's pg_terminate_backend) emits 'error' on it, which would
      // crash the process. Keep it, fail the transaction's next query, and drop the client.
      let lost: Error | undefined;
      const onError = (err: Error) => { lost ??= err; };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        if (!lost) await client.query('ROLLBACK').catch(() => undefined);
        throw asStoreUnavailable(err) ?? err;
      } finally {
        client.off('error', onError);
        client.release(lost ?? false);
      }
    },
    listen: (channel, onNotify, onLost) => listenPostgres(url, channel, onNotify, onLost),
    close: () => pool.end(),
  };
}

/** LISTEN on its own client (a pooled one would be handed to queries); reconnects after 1-5 s when dropped. */
async function listenPostgres(url: string, channel: string, onNotify: () => void, onLost: () => void = () => undefined): Promise<() => Promise<void>> {
  checkChannel(channel);
  let closed = false;
  let client: pg.Client | null = null;
  let retryMs = 1000;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => { if (n.channel === channel) onNotify(); });
    const reconnect = () => {
      if (closed || client !== c) return;
      client = null;
      onLost();
      void c.end().catch(() => undefined);
      setTimeout(() => { if (!closed) void connect().catch(() => undefined); }, retryMs).unref();
      retryMs = Math.min(retryMs * 2, 5000);
    };
    c.on('error', reconnect);
    c.on('end', reconnect);
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      retryMs = 1000;
      onNotify(); // whatever was notified while disconnected: let the caller look once
    } catch (err) {
      reconnect();
      throw err;
    }
  };
  try {
    await connect();
  } catch (err) {
    closed = true; // the first connection must work; only later drops are retried
    throw err;
  }
  return async () => {
    closed = true;
    const c = client;
    client = null;
    await c?.end().catch(() => undefined);
  };
}

// One dialect, one set of JS types: PGlite returns int8 (bigint, count(*)) as numbers, node-postgres
// as strings by default. Parse them as numbers here too (exact up to 2^53, like PGlite).
const INT8 = 20;
const INT8_ARRAY = 1016;
const INT4_ARRAY = 1007;
const builtinParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (format !== 'binary' && oid === INT8) return (v: string) => Number(v);
  if (format !== 'binary' && oid === INT8_ARRAY) return builtinParser(INT4_ARRAY, 'text');
  return builtinParser(oid, format ?? 'text');
}

/** FIFO promise mutex. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
