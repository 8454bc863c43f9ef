// Cross-process locks (Store.exclusive): work that one process of a fleet does at a time, such as a
// pre-scaler pass. On PostgreSQL a transaction-scoped advisory lock, taken without waiting, held while
// the work runs and released with its transaction. Embedded PGlite serves a single process, and
// holding a transaction there would block every other write, so the work simply runs.
import type { StoreLock } from '../../domain/ports/store.ts';
import type { Db } from './db.ts';

/** Advisory lock keys; "fp-scale" in ASCII for the pre-scaler. */
export const LOCK_KEYS: Readonly<Record<StoreLock, bigint>> = { prescaler: 0x66702d7363616c65n };

export async function exclusive<T>(db: Db, lock: StoreLock, fn: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
  if (db.kind !== 'postgres') return { ran: true, result: await fn() };
  return db.transaction(async (q) => {
    const r = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_KEYS[lock].toString()]);
    return r.rows[0]?.ok ? { ran: true as const, result: await fn() } : { ran: false as const };
  });
}
