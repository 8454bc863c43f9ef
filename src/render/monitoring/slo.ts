// SLO objectives by tenant tier and the multi-window, multi-burn-rate alert policy of the Google SRE
// workbook (chapter 5, "Alerting on SLOs", table 5-8): a 30-day budget, two page and two ticket
// conditions, each requiring a long and a short window to burn faster than the factor.
import type { EnvironmentType, Tier } from '../../domain/types.ts';
import type { Objectives } from './types.ts';

export const LATENCY_THRESHOLD_SECONDS = 0.3;

export const OBJECTIVES: Record<Tier, Objectives> = {
  dedicated: { availability: 0.9995, latency: 0.99, latencyThresholdSeconds: LATENCY_THRESHOLD_SECONDS },
  hybrid: { availability: 0.999, latency: 0.98, latencyThresholdSeconds: LATENCY_THRESHOLD_SECONDS },
  shared: { availability: 0.995, latency: 0.95, latencyThresholdSeconds: LATENCY_THRESHOLD_SECONDS },
};

export type Severity = 'page' | 'ticket';

export interface BurnWindow {
  long: string;
  short: string;
  factor: number;
  severity: Severity;
}

export const BURN_WINDOWS: readonly BurnWindow[] = [
  { long: '1h', short: '5m', factor: 14.4, severity: 'page' },
  { long: '6h', short: '30m', factor: 6, severity: 'page' },
  { long: '1d', short: '2h', factor: 3, severity: 'ticket' },
  { long: '3d', short: '6h', factor: 1, severity: 'ticket' },
];

/** Every window a ratio is recorded for (sorted by duration). */
export const RATE_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

export function objectivesFor(tier: Tier): Objectives {
  return OBJECTIVES[tier];
}

/** Non-production environments never page: a staging outage is a ticket. */
export function severityFor(envType: EnvironmentType, severity: Severity): Severity {
  return envType === 'prod' ? severity : 'ticket';
}

/** factor × error budget, rounded so the text is stable and readable (14.4 × 0.0005 = 0.0072). */
export function burnThreshold(objective: number, factor: number): number {
  return Number((factor * (1 - objective)).toPrecision(6));
}
