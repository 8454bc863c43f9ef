// Keeps an operation's lease alive while a worker runs it, and fences the worker itself.
//
// The store's lease runs until (database time when the claim or the last successful heartbeat ran)
// + leaseMs, which is never earlier than (local time when that request was SENT) + leaseMs. So by its
// own monotonic clock the worker knows a moment before which nobody else can claim the operation:
//   mustStopAt = lastSent + leaseMs - margin   (margin = leaseMs / 4, heartbeat every leaseMs / 3)
// At mustStopAt (a timer, and a synchronous check before every object write, for when the event
// loop itself is late) the worker aborts: the signal reaches the kube requests in flight, and the
// margin is the time they get to stop before another worker may start. A refused heartbeat (taken
// over or finished elsewhere) aborts at once. Nothing here depends on the database's clock; the
// monotonic clock and the timers are injected (src/clock.ts), so tests drive them by hand.
import type { Claim } from '../domain/ports/queue.ts';
import { systemClock, type Clock } from '../clock.ts';
import { LeaseLostError } from '../domain/errors.ts';

export interface LeaseTerms {
  leaseMs: number;
  /** clock.monotonic() just before the claim was sent (defaults to now). */
  claimSentAt?: number;
}

export const heartbeatEvery = (leaseMs: number): number => Math.max(50, Math.floor(leaseMs / 3));
export const fenceMargin = (leaseMs: number): number => Math.max(10, Math.floor(leaseMs / 4));

export interface LeaseKeeperOptions {
  /** Aborts the keeper's signal too (the engine stopping); that is not a lost lease. */
  parent?: AbortSignal | undefined;
  clock?: Clock | undefined;
}

export class LeaseKeeper {
  readonly controller = new AbortController();
  private readonly clock: Clock;
  private cancelBeat: (() => void) | undefined;
  private cancelFence: (() => void) | undefined;
  private stopped = false;
  private mustStopAt: number;
  private lastOkSentAt: number;
  /** Send times of heartbeats still waiting for an answer (says whether the database or the event loop was slow). */
  private readonly inFlight = new Set<number>();
  /** Set when the lease (not a shutdown) stopped the worker. */
  lost = false;

  constructor(private readonly claim: Pick<Claim, 'heartbeat'>, private readonly lease: LeaseTerms, opts: LeaseKeeperOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    const parent = opts.parent;
    this.lastOkSentAt = lease.claimSentAt ?? this.clock.monotonic();
    this.mustStopAt = this.lastOkSentAt + lease.leaseMs - fenceMargin(lease.leaseMs);
    if (parent) {
      if (parent.aborted) this.controller.abort(parent.reason);
      else parent.addEventListener('abort', () => this.controller.abort(parent.reason), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): this {
    this.scheduleBeat();
    this.armFence();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.cancelBeat?.();
    this.cancelFence?.();
  }

  /** A heartbeat every third of the lease, whether or not the last one has answered yet. */
  private scheduleBeat(): void {
    if (this.stopped) return;
    this.cancelBeat = this.clock.schedule(heartbeatEvery(this.lease.leaseMs), () => {
      this.scheduleBeat();
      void this.beat();
    });
  }

  /** Throws unless this worker may still write: call right before starting each write. */
  assertHeld(): void {
    this.checkDeadline();
    this.signal.throwIfAborted();
  }

  private checkDeadline(): void {
    if (!this.signal.aborted && this.clock.monotonic() >= this.mustStopAt) {
      const now = this.clock.monotonic();
      const oldest = Math.min(now, ...this.inFlight);
      this.lose(`lease expiring: no heartbeat succeeded in time, stopped before another worker can claim (self-fenced; last success sent ${Math.round(now - this.lastOkSentAt)} ms ago, ${this.inFlight.size} in flight, oldest ${Math.round(now - oldest)} ms)`);
    }
  }

  private armFence(): void {
    this.cancelFence?.();
    if (this.signal.aborted || this.stopped) return;
    this.cancelFence = this.clock.schedule(Math.max(0, this.mustStopAt - this.clock.monotonic()) + 1, () => this.checkDeadline());
  }

  private async beat(): Promise<void> {
    this.checkDeadline();
    if (this.signal.aborted) return;
    const sentAt = this.clock.monotonic();
    this.inFlight.add(sentAt);
    let ok: boolean;
    try {
      ok = await this.claim.heartbeat(this.lease.leaseMs);
    } catch {
      return; // the database is unreachable: the deadline timer fences if none succeeds in time
    } finally {
      this.inFlight.delete(sentAt);
    }
    if (!ok) return this.lose('lease lost: the operation was taken over or finished elsewhere');
    // A success that arrives after the worker fenced itself changes nothing: the step already stopped.
    if (this.signal.aborted) return;
    this.lastOkSentAt = Math.max(this.lastOkSentAt, sentAt);
    this.mustStopAt = this.lastOkSentAt + this.lease.leaseMs - fenceMargin(this.lease.leaseMs);
    this.armFence();
  }

  private lose(reason: string): void {
    if (this.signal.aborted) return;
    this.lost = true;
    this.controller.abort(new LeaseLostError(reason));
  }
}
