// Export rows: what is (to be) sent to a marketplace, one per tenant x marketplace dimension x hour or
// per correction, with its stored state. The store port the exporter needs.
import type { Page } from '../types.ts';
import type { Marketplace, MarketplaceMapping } from './mapping.ts';

export type ExportState = 'pending' | 'sending' | 'sent' | 'refused' | 'skipped' | 'carried' | 'merged';
export const EXPORT_STATES: readonly ExportState[] = ['pending', 'sending', 'sent', 'refused', 'skipped', 'carried', 'merged'];

export interface ExportRow {
  id: number;
  tenant: string;
  marketplace: Marketplace;
  /** usage: an hour's total; correction: late data on a closed hour (delta). */
  source: 'usage' | 'correction';
  sourceKey: string;
  dimension: string;
  marketplaceDimension: string;
  hour: string;
  /** The Fleetplane quantity (sum over the tenant's environments), before scale and rounding. */
  exactQuantity: number;
  /** What is sent: scaled, rounded to what the marketplace takes, corrections folded in. */
  quantity: number;
  state: ExportState;
  attempts: number;
  /** Sent alone after a batch was refused as a whole, to find the record at fault. */
  solo: boolean;
  nextAttemptAt: string;
  /** The marketplace record exactly as sent (frozen before the first attempt, so a retry is identical). */
  payload: Record<string, unknown> | null;
  /** AWS MeteringRecordId, Azure usageEventId, Google operationId. */
  requestId: string | null;
  reason: string | null;
  mergedInto: number | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

/** How one claimed row ended this attempt. */
export type Outcome =
  | { id: number; state: 'sent'; requestId: string; reason?: string }
  | { id: number; state: 'refused'; reason: string; requestId?: string }
  | { id: number; state: 'pending'; reason: string; nextAttemptAt: Date; solo?: boolean };

export interface PlanOptions {
  now: Date;
  /** Records and corrections older than this are not planned any more (a marketplace would refuse them). */
  since: Date;
  /** A carried correction with no later usage row of its dimension within this time is refused. */
  carryMaxMs: number;
}

export interface PlanResult { usage: number; corrections: number; merged: number; carried: number; refused: number }

export interface ExportQuery {
  tenant?: string | undefined;
  state?: ExportState | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface ExportStore {
  putMapping(m: MarketplaceMapping, now: Date): Promise<MarketplaceMapping>;
  getMapping(tenant: string): Promise<MarketplaceMapping | null>;
  /** Creates export rows for finalized hours and new corrections of mapped tenants (idempotent). */
  plan(o: PlanOptions): Promise<PlanResult>;
  /** Tenants with rows due now, per marketplace. */
  dueGroups(now: Date): Promise<Array<{ tenant: string; marketplace: Marketplace }>>;
  /** Leases due rows (oldest hour first) to `owner`: solo rows one at a time, others up to `limit`. */
  claim(q: { tenant: string; marketplace: Marketplace; now: Date; owner: string; leaseMs: number; limit: number }): Promise<ExportRow[]>;
  /** Writes the payloads ahead of sending; only rows still leased to owner. */
  savePayloads(rows: Array<{ id: number; payload: Record<string, unknown> }>, owner: string): Promise<void>;
  /** Records outcomes; a row whose lease another exporter took over is left to it. Returns rows written. */
  settle(outcomes: Outcome[], owner: string, now: Date): Promise<number>;
  list(q: ExportQuery): Promise<Page<ExportRow>>;
  summary(tenant: string): Promise<Partial<Record<ExportState, number>>>;
}
