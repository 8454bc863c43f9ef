// The exporter's settings and each marketplace's documented limits (docs/metering.md).
import type { Marketplace } from './mapping.ts';

export interface MarketplaceLimits {
  /** Records per call. */
  batch: number;
  /** A record whose hour began longer ago than this is refused as expired and never sent. */
  maxDelayMs: number;
}

export interface ExportConfig {
  /** Between export passes in `serve` (0: no export loop). */
  intervalMs: number;
  /** How long one exporter holds claimed rows before another may take them over. */
  leaseMs: number;
  /** Attempts before a retryable failure is reported as refused. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Records and corrections older than this are no longer planned. */
  lookbackMs: number;
  /** How long a carried correction waits for a later usage record of its dimension. */
  carryMaxMs: number;
  limits: Record<Marketplace, MarketplaceLimits>;
}

const H = 3_600_000;

export const DEFAULT_EXPORT_CONFIG: ExportConfig = {
  intervalMs: 5 * 60_000,
  leaseMs: 2 * 60_000,
  maxAttempts: 10,
  retryBaseMs: 30_000,
  retryMaxMs: 30 * 60_000,
  lookbackMs: 48 * H,
  carryMaxMs: 24 * H,
  limits: {
    // BatchMeterUsage: 25 records a call. The brief's and MeterUsage's 6 h; the current SDK model says
    // BatchMeterUsage takes 24 h: 6 h is the safe side (FLEETPLANE_AWS_MARKETPLACE_MAX_DELAY).
    aws: { batch: 25, maxDelayMs: 6 * H },
    // batchUsageEvent takes 1..25 events; events older than 24 h are refused as Expired.
    azure: { batch: 25, maxDelayMs: 24 * H },
    // services.report: no documented lateness window for marketplace usage; 24 h like Azure.
    gcp: { batch: 100, maxDelayMs: 24 * H },
  },
};

/** Stored backoff before attempt n+1 after n failed attempts: base x 2^(n-1), capped. */
export function retryDelayMs(attempts: number, c: Pick<ExportConfig, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(c.retryMaxMs, c.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}
