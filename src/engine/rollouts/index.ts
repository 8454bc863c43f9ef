// Fleet rollouts: plan (src/plan/rollout-waves.ts), persist (./repo.ts), drive (./controller.ts),
// command (./service.ts). `serve` wiring: create one RolloutService for the API (attachRollouts)
// and start one RolloutController per process.
import type { Store } from '../../adapters/store/port.ts';
import { RolloutService } from './service.ts';

export { RolloutController, type RolloutControllerOptions, type Decision } from './controller.ts';
export { RolloutService, IdempotencyMismatchError, normalizeStrategy, type CreateRolloutInput, type RolloutServiceDeps } from './service.ts';
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
