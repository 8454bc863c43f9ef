// Fleet rollouts: plan (src/plan/rollout-waves.ts), persist (./repo.ts), drive (./controller.ts),
// command (./service.ts). `serve` wiring: create one RolloutService for the API (attachRollouts)
// and start one RolloutController per process.
import type { Logger } from 'pino';
import type { Db } from '../../adapters/store/db.ts';
import type { Store } from '../../adapters/store/port.ts';
import { RolloutController } from './controller.ts';
import { RolloutService } from './service.ts';

export { RolloutController, type RolloutControllerOptions, type Decision } from './controller.ts';
export { RolloutService, normalizeStrategy, type CreateRolloutInput, type RolloutServiceDeps } from './service.ts';
export type * from './types.ts';

const services = new WeakMap<Store, RolloutService>();

/** Makes the rollouts service reachable from the API's route module for this store. */
export function attachRollouts(store: Store, service: RolloutService): void {
  services.set(store, service);
}

/** The service attached to this store, or one built from the store's Db when it exposes `db`. */
export function rolloutsFor(store: Store): RolloutService | null {
  const attached = services.get(store);
  if (attached) return attached;
  const db = (store as unknown as { db?: ConstructorParameters<typeof RolloutService>[0]['db'] }).db;
  if (!db || typeof db.query !== 'function') return null;
  const svc = new RolloutService({ db, store });
  services.set(store, svc);
  return svc;
}

export interface RunningRollouts {
  service: RolloutService;
  controller: RolloutController;
  stop(): Promise<void>;
}

/**
 * What `fleetplane serve` calls: attaches the service for the API and starts this process's
 * controller (FLEETPLANE_ROLLOUT_INTERVAL_MS tunes the tick, FLEETPLANE_PROMETHEUS_URL enables
 * metric gates).
 */
export function startRollouts(o: { store: Store & { db: Db }; logger?: Logger; workerId: string; prometheusUrl?: string; intervalMs?: number }): RunningRollouts {
  const service = new RolloutService({ db: o.store.db, store: o.store, ...(o.logger ? { logger: o.logger } : {}) });
  attachRollouts(o.store, service);
  const interval = o.intervalMs ?? (Number(process.env.FLEETPLANE_ROLLOUT_INTERVAL_MS) || 2000);
  const prometheusUrl = o.prometheusUrl ?? process.env.FLEETPLANE_PROMETHEUS_URL;
  const controller = new RolloutController({
    db: o.store.db, store: o.store, workerId: o.workerId, intervalMs: interval,
    ...(o.logger ? { logger: o.logger.child({ component: 'rollouts' }) } : {}), ...(prometheusUrl ? { prometheusUrl } : {}),
  });
  controller.start();
  return { service, controller, stop: () => controller.stop() };
}
