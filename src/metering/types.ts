// Metering's nouns and the store port it needs: the repository lives on the Store port
// (src/domain/ports/metering.ts, Store.metering); these names stay for metering's own modules.
export type { Page } from '../domain/ports/store.ts';
export type { ApiCount, Correction, MeteringRepo as MeteringStore, RecordQuery, RefreshResult, Sample, UsageRecord } from '../domain/ports/metering.ts';
