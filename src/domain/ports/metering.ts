// The metering repositories on the store port (Store.metering, Store.meteringExports; SQL in
// src/adapters/store/metering*.ts, migration 300): usage samples, hourly records and corrections,
// marketplace mappings and export rows. See docs/metering.md.
import type { Dimension, Marketplace, MarketplaceMapping } from '../metering.ts';
import type { Page } from './store.ts';

/** One environment's requests at one sampling tick. */
export interface Sample {
  tenant: string;
  environment: string;
  /** The tick (aligned to the interval). */
  at: Date;
  /** The interval this sample stands for. */
  seconds: number;
  cluster: string;
  namespace: string;
  pods: number;
  cpuMillis: number;
  memoryBytes: number;
  gpus: number;
  /** While hibernated: the replicas and GPUs its open hibernation period holds back (default 0). */
  savedReplicas?: number;
  savedGpus?: number;
}

export interface UsageRecord {
  tenant: string;
  /** null for tenant-level dimensions (api-requests). */
  environment: string | null;
  dimension: Dimension;
  unit: string;
  hour: string;
  hourEnd: string;
  quantity: number;
  /** open: the hour is still running; final: closed (changed only by corrections). */
  state: 'open' | 'final';
  /** 1 when finalized; +1 per correction. */
  version: number;
  /** Cluster samples behind an environment dimension (coverage); 0 for api-requests. */
  samples: number;
  finalizedAt: string | null;
}

export interface Correction {
  seq: number;
  tenant: string;
  environment: string | null;
  dimension: Dimension;
  hour: string;
  version: number;
  previousQuantity: number;
  quantity: number;
  delta: number;
  detectedAt: string;
}

export interface RefreshResult {
  /** Open records written (inserted or recomputed). */
  open: number;
  /** Records finalized in this pass. */
  finalized: number;
  /** Late data on closed hours. */
  corrections: Correction[];
  /** Every hour before this one is closed. */
  closedUntil: string | null;
}

export interface RecordQuery {
  tenant: string;
  from?: Date | undefined;
  to?: Date | undefined;
  dimension?: string | undefined;
  environment?: string | undefined;
  state?: 'open' | 'final' | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface ApiCount { tenant: string; hour: Date; requests: number }

export interface MeteringRepo {
  /** Inserts samples (one per environment and tick; repeats are ignored) and adds them to their hour's integral. Returns how many were new. */
  recordSamples(samples: Sample[], sampler: string, now: Date): Promise<number>;
  /** "tenant/environment" of the samples already stored for one tick. */
  sampledAt(at: Date): Promise<Set<string>>;
  /** Adds one flush of API request counts; false (nothing added) when this flush id was applied before. */
  addApiRequests(flushId: string, counts: ApiCount[], now: Date): Promise<boolean>;
  /** Recomputes records from the stored inputs: open hours, hours closing now, corrections for late data. */
  refresh(now: Date, graceMs: number): Promise<RefreshResult>;
  records(q: RecordQuery): Promise<Page<UsageRecord>>;
  corrections(q: { tenant: string; limit?: number | undefined; cursor?: string | undefined }): Promise<Page<Correction>>;
  /** Sample count per tenant/environment/tick (tests and the coverage report). */
  sampleCount(tenant: string, environment: string, from: Date, to: Date): Promise<number>;
}

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

export interface MeteringExportRepo {
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
