// The metering stores of a Fleetplane store: SQL on the store's own database (embedded PGlite or
// PostgreSQL, migration 300). Like scalingStoreFor, found through the store's `db`; one pair per store.
import type { Db } from '../adapters/store/db.ts';
import { sqlExportStore } from '../adapters/store/metering-export.ts';
import { sqlMeteringStore } from '../adapters/store/metering.ts';
import type { ExportStore } from './export/types.ts';
import type { MeteringStore } from './types.ts';

export interface MeteringStores {
  metering: MeteringStore;
  exports: ExportStore;
}

const attached = new WeakMap<object, MeteringStores>();

export function meteringStoresFor(store: object): MeteringStores {
  let s = attached.get(store);
  if (!s) {
    const db = (store as { db?: Db }).db;
    if (!db || typeof db.query !== 'function' || typeof db.transaction !== 'function') throw new Error('metering needs the SQL store (openStore)');
    s = { metering: sqlMeteringStore(db), exports: sqlExportStore(db) };
    attached.set(store, s);
  }
  return s;
}
