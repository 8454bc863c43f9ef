// Metering's nouns and the store port it needs (implemented on SQL in src/adapters/store/metering*.ts).
import type { Dimension } from './dimensions.ts';

export interface Page<T> { items: T[]; next?: string }

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

export interface MeteringStore {
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
