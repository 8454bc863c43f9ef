// The worker pool: `concurrency` slots, each claiming one operation at a time and running it.
// Empty claims back off with jitter so idle processes don't hammer the database.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationKind } from '../domain/types.ts';
import { coerceError } from '../domain/errors.ts';
import type { EngineDeps } from './context.ts';
import { runOperation } from './run-operation.ts';

export class WorkerPool {
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  /** Wakes idle slots early (e.g. right after an API call enqueued work in this process). */
  private wake = new AbortController();

  constructor(private readonly deps: EngineDeps, private readonly kinds?: OperationKind[]) {}

  start(): void {
    for (let i = 0; i < this.deps.config.concurrency; i++) this.loops.push(this.loop(i));
  }

  nudge(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  /** nudge() after ms (a little later: the operation must be due when the slots claim). */
  wakeAfter(ms: number): void {
    if (this.stopping.signal.aborted || !Number.isFinite(ms)) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.nudge();
    }, Math.max(0, ms) + 25);
    t.unref();
    this.timers.add(t);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopping.abort(new Error('engine stopping'));
    this.nudge();
    await Promise.all(this.loops);
  }

  private async loop(slot: number): Promise<void> {
    const { deps } = this;
    const log = deps.logger.child({ slot });
    let idle = 0;
    while (!this.stopping.signal.aborted) {
      try {
        const claimSentAt = deps.clock.monotonic(); // the lease runs at least leaseMs from here
        const claimed = await deps.store.queue.claim(deps.config.workerId, deps.config.leaseMs, this.kinds);
        if (claimed) {
          idle = 0;
          await runOperation(deps, claimed, this.stopping.signal, claimSentAt);
          continue;
        }
      } catch (raw) {
        log.error({ err: coerceError(raw) }, 'worker slot error; backing off');
      }
      idle = Math.min(idle + 1, 4);
      const wait = deps.config.pollMs * (0.5 + Math.random()) * idle;
      const signal = AbortSignal.any([this.stopping.signal, this.wake.signal]);
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
