// The usage dimensions Fleetplane meters, their units, and the hour arithmetic every part shares.
// Pure: no I/O, no clock (times come in as arguments).

import { DIMENSIONS, type Dimension } from './metering.ts';

export { DIMENSIONS, type Dimension };

export const ENVIRONMENT_DIMENSIONS: readonly Dimension[] = ['environment-hours', 'cpu-core-hours', 'memory-gib-hours', 'gpu-hours', 'saved-replica-hours', 'saved-gpu-hours'];
export const TENANT_DIMENSIONS: readonly Dimension[] = ['api-requests'];
/**
 * What hibernation held back (docs/ai-workloads.md): recorded only for hours with a saving, reported
 * beside usage and exported only where a marketplace mapping names them.
 */
export const SAVINGS_DIMENSIONS: readonly Dimension[] = ['saved-replica-hours', 'saved-gpu-hours'];

export const UNITS: Record<Dimension, string> = {
  'environment-hours': 'environment-hour',
  'cpu-core-hours': 'core-hour',
  'memory-gib-hours': 'GiB-hour',
  'gpu-hours': 'GPU-hour',
  'api-requests': 'request',
  'saved-replica-hours': 'replica-hour',
  'saved-gpu-hours': 'GPU-hour',
};

export const isDimension = (d: string): d is Dimension => (DIMENSIONS as readonly string[]).includes(d);

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour holding t. */
export function hourOf(t: Date): Date {
  return new Date(Math.floor(t.getTime() / HOUR_MS) * HOUR_MS);
}

/** The sampling tick holding t: ticks are aligned to the epoch, so every replica picks the same one. */
export function tickOf(t: Date, intervalMs: number): Date {
  return new Date(Math.floor(t.getTime() / intervalMs) * intervalMs);
}

/** Every hour before the returned one is closed at `now`: it ended at least `graceMs` ago. */
export function closedBefore(now: Date, graceMs: number): Date {
  return hourOf(new Date(now.getTime() - graceMs));
}

/** A sampling interval must divide the hour, so no sample straddles two hours. */
export function checkInterval(intervalMs: number): string | null {
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) return 'must be a whole number of seconds, at least 1 s';
  if (intervalMs % 1000 !== 0) return 'must be a whole number of seconds';
  if (HOUR_MS % intervalMs !== 0) return 'must divide one hour (e.g. 30s, 60s, 5m, 10m)';
  return null;
}
