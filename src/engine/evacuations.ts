// The evacuation controller: every interval (a Ticker on the engine's clock), advance each running
// evacuation. A move in flight takes its state and timestamps from its `move` Operation (Ready on
// the target = move-start-target finished, switched, source removal started); then pending moves
// are started in plan order while fewer than `concurrency` are in flight (plan/move.ts
// movesToStart). Each move's Operation is created under the key `evacuation:<id>:<tenant>/<env>`,
// so a pass repeated after a crash finds it instead of creating a second; every write compares the
// evacuation's version, so two controllers (two serve processes) never both start a move.
import { Ticker } from '../clock.ts';
import type { Evacuation, EvacuationMove } from '../domain/evacuation.ts';
import type { Operation } from '../domain/types.ts';
import { coerceError } from '../domain/errors.ts';
import { evacuationOutcome, movesToStart, rtoSeconds } from '../plan/move.ts';
import { stepsFor } from '../plan/workflows.ts';
import type { EngineDeps } from './context.ts';
import { reclaimPass } from './reclaim.ts';

export const moveKey = (evacuation: string, m: Pick<EvacuationMove, 'tenant' | 'environment'>): string => `evacuation:${evacuation}:${m.tenant}/${m.environment}`;

const stepAt = (op: Operation, step: string, at: 'startedAt' | 'finishedAt'): string | undefined => {
  const s = op.steps.find((x) => x.name === step);
  return s && (s.state === 'succeeded' || s.state === 'skipped' || at === 'startedAt') ? s[at] ?? undefined : undefined;
};

/** The removal's wait on a PodDisruptionBudget (while parked) and what it consulted (once done). */
function budgetFields(op: Operation): Pick<EvacuationMove, 'waitingOn' | 'disruptionBudgets'> {
  const remove = op.steps.find((x) => x.name === 'move-remove');
  if (remove?.state === 'waiting' && remove.message) return { waitingOn: remove.message };
  const budgets = remove?.state === 'succeeded' ? (remove.output as { disruptionBudgets?: unknown } | undefined)?.disruptionBudgets : undefined;
  return typeof budgets === 'string' ? { disruptionBudgets: budgets } : {};
}

/** The lost source the move could not remove its objects from (move-remove skipped them), if any. */
function leftOn(m: EvacuationMove, op: Operation): Pick<EvacuationMove, 'leftOn'> {
  const remove = op.steps.find((x) => x.name === 'move-remove');
  const skipped = remove?.state === 'succeeded' ? (remove.output as { skipped?: unknown } | undefined)?.skipped : undefined;
  return typeof skipped === 'string' ? { leftOn: m.from } : {};
}

/** A move's progress from its operation (pure). */
export function progressOf(m: EvacuationMove, op: Operation, lostAt: string | null): EvacuationMove {
  const readyAt = stepAt(op, 'move-start-target', 'finishedAt');
  const switchedAt = stepAt(op, 'move-switch', 'finishedAt');
  const removeStartedAt = stepAt(op, 'move-remove', 'startedAt');
  const { waitingOn: _was, ...rest } = m;
  const next: EvacuationMove = {
    ...rest, ...(readyAt ? { readyAt } : {}), ...(switchedAt ? { switchedAt } : {}), ...(removeStartedAt ? { removeStartedAt } : {}),
    ...(readyAt && lostAt ? { rtoSeconds: rtoSeconds(lostAt, readyAt) } : {}), ...budgetFields(op), ...leftOn(m, op),
  };
  if (op.state === 'succeeded') return { ...next, state: 'succeeded', finishedAt: op.finishedAt ?? op.updatedAt };
  if (op.state === 'failed' || op.state === 'cancelled') return { ...next, state: 'failed', finishedAt: op.finishedAt ?? op.updatedAt, error: op.error ?? op.state };
  return next;
}

export class EvacuationController {
  private readonly ticker: Ticker;

  constructor(private readonly deps: Pick<EngineDeps, 'store' | 'logger' | 'now' | 'clock' | 'wakeAfter'>, intervalMs: number, private readonly onStarted?: () => void) {
    this.ticker = new Ticker(() => this.pass().then(() => undefined), {
      intervalMs, clock: deps.clock, onError: (err) => deps.logger.warn({ err }, 'evacuation pass failed'),
    });
  }

  start(): void {
    this.ticker.start();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One pass over every running evacuation; returns them as they are after it. */
  async pass(): Promise<Evacuation[]> {
    const out: Evacuation[] = [];
    for (const e of await this.deps.store.evacuations.running()) {
      try {
        out.push(await this.advance(e));
      } catch (raw) {
        this.deps.logger.warn({ evacuation: e.id, err: coerceError(raw) }, 'evacuation not advanced');
        out.push(e);
      }
    }
    // After a failover: what a lost cluster still holds, once it answers again (engine/reclaim.ts).
    try {
      if ((await reclaimPass(this.deps)).length > 0) this.onStarted?.();
    } catch (raw) {
      this.deps.logger.warn({ err: coerceError(raw) }, 'reclaim pass failed');
    }
    return out;
  }

  /** In flight: each move's state and timestamps from its operation. */
  private async follow(e: Evacuation, moves: EvacuationMove[]): Promise<void> {
    for (const [i, m] of moves.entries()) {
      if (m.state !== 'moving' || !m.operation) continue;
      const op = await this.deps.store.operations.get(m.operation);
      if (op) moves[i] = progressOf(m, op, e.lostAt);
    }
  }

  /** Starts what the limit allows, in plan order; how many it started. */
  private async startMoves(e: Evacuation, moves: EvacuationMove[]): Promise<number> {
    const failover = e.trigger === 'failover' ? { sourceLost: true, ...(e.lostAt ? { lostAt: e.lostAt } : {}) } : {};
    const due = movesToStart(moves, e.concurrency);
    for (const m of due) {
      const { operation } = await this.deps.store.operations.create({
        kind: 'move', tenant: m.tenant, environment: m.environment, steps: stepsFor('move'), idempotencyKey: moveKey(e.id, m),
        params: { from: m.from, to: m.to, evacuation: e.id, reason: e.reason, explanation: m.explanation, ...failover },
      });
      moves[moves.indexOf(m)] = { ...m, state: 'moving', operation: operation.id, startedAt: m.startedAt ?? this.deps.now().toISOString() };
    }
    return due.length;
  }

  async advance(e: Evacuation): Promise<Evacuation> {
    const { store } = this.deps;
    const moves = [...e.moves];
    await this.follow(e, moves);
    const started = await this.startMoves(e, moves);
    const outcome = evacuationOutcome(moves);
    const changed = started > 0 || outcome !== null || JSON.stringify(moves) !== JSON.stringify(e.moves);
    if (!changed) return e;
    const next = await store.evacuations.update(e.id, e.version, {
      moves, ...(outcome ? { state: outcome.state, finishedAt: this.deps.now().toISOString() } : {}),
    });
    if (started > 0) this.onStarted?.();
    if (!next) return (await store.evacuations.get(e.id)) ?? e;
    if (outcome) this.deps.logger.info({ evacuation: e.id, state: outcome.state, reason: outcome.reason }, 'evacuation finished');
    return next;
  }
}
