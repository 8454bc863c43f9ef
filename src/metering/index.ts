// Metering inside `fleetplane serve`: the metering job every FLEETPLANE_METERING_INTERVAL and the
// marketplace exporter every FLEETPLANE_MARKETPLACE_EXPORT_INTERVAL, on Tickers (src/clock.ts) aligned
// to the interval so replicas tick together (both passes are safe to run on every replica at once).
import type { Logger } from 'pino';
import type { MarketplaceTransports } from '../adapters/marketplace/types.ts';
import type { Store } from '../domain/ports/store.ts';
import type { MeteringConfig } from './config.ts';
import { Exporter } from './export/exporter.ts';
import { alignedTicker, MeteringJob } from './job.ts';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import type { Clock, Ticker } from '../clock.ts';

export interface StartMeteringOptions {
  store: Store;
  logger: Logger;
  /** Sample and lease owner id (the engine's worker id). */
  owner: string;
  config: MeteringConfig;
  transports: MarketplaceTransports;
  /** The process's cluster clients (the engine's). */
  connections: ClusterConnections;
  now?: () => Date;
  /** Timers of the two loops (default the system clock; tests pass a ManualClock). */
  clock?: Clock;
}

export interface Metering {
  job: MeteringJob;
  exporter: Exporter;
  stop(): Promise<void>;
}

export function startMetering(o: StartMeteringOptions): Metering | null {
  if (o.config.intervalMs <= 0) return null;
  const now = o.now ?? (() => new Date());
  const logger = o.logger.child({ component: 'metering' });
  const job = new MeteringJob({ store: o.store, metering: o.store.metering, config: o.config, now, owner: o.owner, logger, connections: o.connections });
  const exporter = new Exporter({ exports: o.store.meteringExports, transports: o.transports, config: o.config.export, now, owner: o.owner, logger });
  const timing = { now, logger, ...(o.clock ? { clock: o.clock } : {}) };
  const loops: Ticker[] = [alignedTicker('metering', o.config.intervalMs, () => job.runOnce(), timing)];
  if (o.config.export.intervalMs > 0) loops.push(alignedTicker('marketplace export', o.config.export.intervalMs, () => exporter.runOnce(), timing));
  for (const l of loops) l.start();
  logger.info({ intervalMs: o.config.intervalMs, graceMs: o.config.graceMs, exportIntervalMs: o.config.export.intervalMs, marketplaces: Object.keys(o.transports) }, 'metering started');
  return {
    job, exporter,
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
