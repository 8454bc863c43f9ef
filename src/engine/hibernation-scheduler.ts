// The hibernation scheduler (docs/ai-workloads.md): each pass looks at every settled environment's
// schedule (its own, else its environment type's in the blueprint release it runs) at the injected
// clock's instant, and queues a hibernate or wake Operation when the schedule changes its mind
// (domain/hibernation.ts scheduledAction). The Operation does the work; this only decides.
import { Ticker } from '../clock.ts';
import { coerceError } from '../domain/errors.ts';
import { scheduledAction, type HibernationSchedule } from '../domain/hibernation.ts';
import type { Environment } from '../domain/types.ts';
import { stepsFor } from '../plan/workflows.ts';
import type { EngineDeps } from './context.ts';

export interface HibernationPassResult {
  checked: number;
  queued: Array<{ tenant: string; environment: string; kind: 'hibernate' | 'wake'; operation: string }>;
  errors: Array<{ tenant: string; environment: string; error: string }>;
}

const SETTLED = new Set(['Ready', 'Degraded']);

export class HibernationScheduler {
  private readonly ticker: Ticker;

  constructor(private readonly deps: EngineDeps, intervalMs: number) {
    this.ticker = new Ticker(() => this.pass().then(() => undefined), {
      intervalMs, clock: deps.clock, onError: (err) => deps.logger.error({ err }, 'hibernation pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** The schedule that applies to an environment: its own, else its type's in its release. */
  async scheduleOf(env: Environment, own: HibernationSchedule | null): Promise<HibernationSchedule | null> {
    if (own) return own;
    const release = await this.deps.store.blueprints.get(env.blueprint, env.version);
    const types = (release?.spec as { environmentTypes?: Record<string, { hibernation?: HibernationSchedule }> } | undefined)?.environmentTypes;
    return types?.[env.type]?.hibernation ?? null;
  }

  async pass(): Promise<HibernationPassResult> {
    const result: HibernationPassResult = { checked: 0, queued: [], errors: [] };
    const records = new Map((await this.deps.store.ai.hibernations()).map((r) => [`${r.tenant}/${r.environment}`, r]));
    let after: { tenant: string; name: string } | null = null;
    for (;;) {
      const page = await this.deps.store.queue.listEnvironments(after, 200);
      for (const env of page) {
        if (!SETTLED.has(env.health) || !env.appliedRevision) continue;
        try {
          await this.check(env, records.get(`${env.tenant}/${env.name}`) ?? null, result);
        } catch (raw) {
          result.errors.push({ tenant: env.tenant, environment: env.name, error: coerceError(raw).message });
        }
      }
      if (page.length < 200) break;
      after = page[page.length - 1]!;
    }
    return result;
  }

  private async check(env: Environment, rec: Awaited<ReturnType<EngineDeps['store']['ai']['hibernation']>>, result: HibernationPassResult): Promise<void> {
    const schedule = await this.scheduleOf(env, rec?.schedule ?? null);
    if (!schedule) return;
    result.checked++;
    const now = this.deps.now();
    const { wants, action } = scheduledAction(schedule, rec?.scheduleWants ?? null, now);
    if (action && (action === 'hibernate') !== (rec?.state === 'hibernated')) {
      if (await this.deps.store.queue.busy(env.tenant, env.name)) return; // next pass
      const { operation } = await this.deps.store.operations.create({
        kind: action, tenant: env.tenant, environment: env.name, steps: stepsFor(action),
        params: { reason: 'schedule', at: now.toISOString() },
        idempotencyKey: `hibernation:${env.tenant}/${env.name}:${action}:${Math.floor(now.getTime() / 60_000)}`,
      });
      result.queued.push({ tenant: env.tenant, environment: env.name, kind: action, operation: operation.id });
      this.deps.logger.info({ tenant: env.tenant, environment: env.name, action, operationId: operation.id }, 'hibernation schedule');
    }
    if (wants !== rec?.scheduleWants) await this.deps.store.ai.setScheduleWants(env.tenant, env.name, wants);
  }
}
