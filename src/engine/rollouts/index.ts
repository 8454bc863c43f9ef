// Fleet rollouts: plan (src/plan/rollout-waves.ts), persist (Store.rollouts,
// src/adapters/store/rollout-progress.ts), drive (./controller.ts), command (./service.ts).
// `serve` wires one RolloutService into the API's deps and starts one controller per process.
import type { Logger } from 'pino';
import type { Store } from '../../domain/ports/store.ts';
import { RolloutController } from './controller.ts';

export { RolloutController, type RolloutControllerOptions, type Decision } from './controller.ts';
export { RolloutService, normalizeStrategy, type CreateRolloutInput, type RolloutServiceDeps } from './service.ts';
export type * from './types.ts';

/** Default tick of the rollout controller (FLEETPLANE_ROLLOUT_INTERVAL_MS). */
export const ROLLOUT_INTERVAL_MS = 2000;

/** Starts this process's rollout controller; `prometheusUrl` enables metric gates. */
export function startRolloutController(o: { store: Store; logger?: Logger; workerId: string; prometheusUrl?: string | undefined; intervalMs?: number }): RolloutController {
  const controller = new RolloutController({
    store: o.store, workerId: o.workerId, intervalMs: o.intervalMs ?? ROLLOUT_INTERVAL_MS,
    ...(o.logger ? { logger: o.logger.child({ component: 'rollouts' }) } : {}), ...(o.prometheusUrl ? { prometheusUrl: o.prometheusUrl } : {}),
  });
  controller.start();
  return controller;
}
