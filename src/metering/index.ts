// Metering inside `fleetplane serve`: the metering job every FLEETPLANE_METERING_INTERVAL and the
// marketplace exporter every FLEETPLANE_MARKETPLACE_EXPORT_INTERVAL, on real timers aligned to the
// interval so replicas tick together (both passes are safe to run on every replica at once).
import type { Logger } from 'pino';
import type { MarketplaceTransports } from '../adapters/marketplace/types.ts';
import type { Store } from '../domain/ports/store.ts';
import type { MeteringConfig } from './config.ts';
import { Exporter } from './export/exporter.ts';
import { MeteringJob, startLoop, type Loop } from './job.ts';
import { meteringStoresFor } from './stores.ts';
import type { ClusterConnections } from '../adapters/kube/index.ts';

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
  const stores = meteringStoresFor(o.store);
  const job = new MeteringJob({ store: o.store, metering: stores.metering, config: o.config, now, owner: o.owner, logger, connections: o.connections });
  const exporter = new Exporter({ exports: stores.exports, transports: o.transports, config: o.config.export, now, owner: o.owner, logger });
  const loops: Loop[] = [startLoop('metering', o.config.intervalMs, () => job.runOnce(), logger)];
  if (o.config.export.intervalMs > 0) loops.push(startLoop('marketplace export', o.config.export.intervalMs, () => exporter.runOnce(), logger));
  logger.info({ intervalMs: o.config.intervalMs, graceMs: o.config.graceMs, exportIntervalMs: o.config.export.intervalMs, marketplaces: Object.keys(o.transports) }, 'metering started');
  return {
    job, exporter,
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}
