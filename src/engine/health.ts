// Every environment-health write of the engine goes through setHealth: the health state machine
// (domain/state.ts transitionHealth) says where the event leads from the environment's health, the
// write is fenced by the running operation's lease, and an illegal move is refused instead of
// written (e.g. a change that would mark an environment Progressing while it is being offboarded).
import type { EnvironmentStatusPatch } from '../domain/ports/queue.ts';
import { PermanentError } from '../domain/errors.ts';
import { transitionHealth, type HealthEvent } from '../domain/state.ts';
import type { Environment, Health } from '../domain/types.ts';
import type { StepEnv } from './context.ts';

export interface HealthWrite {
  /** The rest of the status patch, from the health the event leads to (e.g. its conditions). */
  with?: (health: Health) => Omit<EnvironmentStatusPatch, 'health'>;
  /**
   * An illegal move: `throw` (default) fails the step for good; `skip` writes nothing and returns
   * null (for status written on the way out of a failed operation, which must not fail again).
   */
  illegal?: 'throw' | 'skip';
}

/** Moves the environment's health by `event` (with the rest of the patch); the updated environment, or null when fenced out. */
export async function setHealth(s: StepEnv, env: Environment, event: HealthEvent, w: HealthWrite = {}): Promise<Environment | null> {
  const t = transitionHealth(env.health, event);
  if (!t.ok) {
    if (w.illegal === 'skip') {
      s.log.warn({ tenant: env.tenant, environment: env.name, health: env.health, event }, 'health not changed: not a legal move');
      return null;
    }
    throw new PermanentError(`${env.tenant}/${env.name}: ${t.error}`);
  }
  return s.claimed.setEnvironmentStatus(env.tenant, env.name, { ...(w.with?.(t.to) ?? {}), health: t.to });
}
