// What each marketplace module provides to the exporter: the frozen per-record payload, and one call
// for a batch of claimed rows turned into per-row outcomes.
import type { MarketplaceLimits } from './config.ts';
import type { MarketplaceMapping } from './mapping.ts';
import type { ExportRow, Outcome } from './types.ts';

export type Sendable = ExportRow & { payload: Record<string, unknown> };

export interface SendContext {
  mapping: MarketplaceMapping;
  now: Date;
  /** When a row that failed transiently is tried again. */
  retryAt: (row: ExportRow) => Date;
}

export interface MarketplaceModule {
  limits: MarketplaceLimits;
  /** The marketplace record for a row; stored before the first attempt and reused by every retry. */
  payload(row: ExportRow, mapping: MarketplaceMapping): Record<string, unknown>;
  /** One call (rows share a batch); per-row outcomes. Throws MarketplaceCallError when the call as a whole failed. */
  send(rows: Sendable[], ctx: SendContext): Promise<Outcome[]>;
  /** Rows that may share one call (AWS: one ProductCode per call). */
  batchKey(row: Sendable): string;
}

export const hourEnd = (hour: string): string => new Date(Date.parse(hour) + 3_600_000).toISOString();
