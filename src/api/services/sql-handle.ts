// The SQL handle behind the store (SqlStore.db), for the read-only reporting queries of the console
// routes (fleet summary, attention, rollout matrix, change feed). Both backends have one; a store
// without SQL answers 503 on those routes instead of downloading everything to count it in memory.
import type { Db } from '../../adapters/store/db.ts';
import type { Store } from '../../adapters/store/port.ts';
import { ProblemError } from '../problem.ts';

export function sqlOf(store: Store): Db {
  const db = (store as { db?: Db }).db;
  if (!db || typeof db.query !== 'function') throw new ProblemError('not-ready', 503, 'this route needs the SQL store (embedded or PostgreSQL)');
  return db;
}
