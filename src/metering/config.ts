// Metering settings as one typed value. `serve` reads them from its environment once
// (meteringConfigFromEnv, given the env record); everything below takes the value.
import { InputError } from '../domain/errors.ts';
import { checkInterval } from './dimensions.ts';
import { DEFAULT_EXPORT_CONFIG, type ExportConfig } from './export/config.ts';
import { DEFAULT_GPU_RESOURCES } from './pods.ts';

export interface MeteringConfig {
  /** Sampling interval; must divide the hour. 0 disables the metering job. */
  intervalMs: number;
  /** An hour is closed (its records finalized) this long after it ended. */
  graceMs: number;
  /** Extended resources counted as GPUs. */
  gpuResources: string[];
  /** API request counts are flushed to the store this often (and on shutdown); fixed in the API for now. */
  apiFlushMs: number;
  export: ExportConfig;
}

export const DEFAULT_METERING_CONFIG: MeteringConfig = {
  intervalMs: 60_000,
  graceMs: 5 * 60_000,
  gpuResources: DEFAULT_GPU_RESOURCES,
  apiFlushMs: 5_000,
  export: DEFAULT_EXPORT_CONFIG,
};

/** "1500" (ms), "30s", "5m", "6h" -> ms; undefined when unset. */
function duration(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m) throw new InputError(`${name} must be a duration such as 60s, 5m or 6h, got "${v}"`, [{ field: `env:${name}`, message: 'not a duration' }]);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h']);
}

export function meteringConfigFromEnv(env: Record<string, string | undefined>): MeteringConfig {
  const d = DEFAULT_METERING_CONFIG;
  const intervalMs = duration(env, 'FLEETPLANE_METERING_INTERVAL') ?? d.intervalMs;
  const bad = intervalMs === 0 ? null : checkInterval(intervalMs);
  if (bad) throw new InputError(`FLEETPLANE_METERING_INTERVAL ${bad}`, [{ field: 'env:FLEETPLANE_METERING_INTERVAL', message: bad }]);
  const limits = structuredClone(d.export.limits);
  limits.aws.maxDelayMs = duration(env, 'FLEETPLANE_AWS_MARKETPLACE_MAX_DELAY') ?? limits.aws.maxDelayMs;
  limits.azure.maxDelayMs = duration(env, 'FLEETPLANE_AZURE_MARKETPLACE_MAX_DELAY') ?? limits.azure.maxDelayMs;
  limits.gcp.maxDelayMs = duration(env, 'FLEETPLANE_GCP_MARKETPLACE_MAX_DELAY') ?? limits.gcp.maxDelayMs;
  return {
    intervalMs,
    graceMs: duration(env, 'FLEETPLANE_METERING_GRACE') ?? d.graceMs,
    gpuResources: env.FLEETPLANE_METERING_GPU_RESOURCES?.split(',').map((s) => s.trim()).filter(Boolean) ?? d.gpuResources,
    apiFlushMs: d.apiFlushMs,
    export: { ...d.export, intervalMs: duration(env, 'FLEETPLANE_MARKETPLACE_EXPORT_INTERVAL') ?? d.export.intervalMs, limits },
  };
}
