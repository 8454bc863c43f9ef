// Keeps an operation's lease alive while a worker runs it, and fences the worker itself.
//
// The store's lease runs until (database time when the claim or the last successful heartbeat ran)
// + leaseMs, which is never earlier than (local time when that request was SENT) + leaseMs. So by its
// own monotonic clock the worker knows a moment before which nobody else can claim the operation:
//   mustStopAt = lastSent + leaseMs - margin   (margin = leaseMs / 4, heartbeat every leaseMs / 3)
// At mustStopAt (a timer, and a synchronous check before every object write, for when the event
// loop itself is late) the worker aborts: the signal reaches the kube requests in flight, and the
// margin is the time they get to stop before another worker may start. A refused heartbeat (taken
// over or finished elsewhere) aborts at once. Nothing here depends on the database's clock.
import { performance } from 'node:perf_hooks';
import type { Claim } from '../domain/ports/queue.ts';

/** The worker may no longer write for this operation; its step stops and its run closes as `lease-lost`. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface LeaseTerms {
  leaseMs: number;
  /** performance.now() just before the claim was sent (defaults to now). */
  claimSentAt?: number;
}

export const heartbeatEvery = (leaseMs: number): number => Math.max(50, Math.floor(leaseMs / 3));
export const fenceMargin = (leaseMs: number): number => Math.max(10, Math.floor(leaseMs / 4));

export class LeaseKeeper {
  readonly controller = new AbortController();
  private beatTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | undefined;
  private mustStopAt: number;
  private lastOkSentAt: number;
  /** Send times of heartbeats still waiting for an answer (says whether the database or the event loop was slow). */
  private readonly inFlight = new Set<number>();
  /** Set when the lease (not a shutdown) stopped the worker. */
  lost = false;

  constructor(private readonly claim: Pick<Claim, 'heartbeat'>, private readonly lease: LeaseTerms, parent?: AbortSignal) {
    this.lastOkSentAt = lease.claimSentAt ?? performance.now();
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
    this.beatTimer = setInterval(() => void this.beat(), heartbeatEvery(this.lease.leaseMs));
    this.beatTimer.unref();
    this.armFence();
    return this;
  }

  stop(): void {
    clearInterval(this.beatTimer);
    clearTimeout(this.fenceTimer);
  }

  /** Throws unless this worker may still write: call right before starting each write. */
  assertHeld(): void {
    this.checkDeadline();
    this.signal.throwIfAborted();
  }

  private checkDeadline(): void {
    if (!this.signal.aborted && performance.now() >= this.mustStopAt) {
      const now = performance.now();
      const oldest = Math.min(now, ...this.inFlight);
      this.lose(`lease expiring: no heartbeat succeeded in time, stopped before another worker can claim (self-fenced; last success sent ${Math.round(now - this.lastOkSentAt)} ms ago, ${this.inFlight.size} in flight, oldest ${Math.round(now - oldest)} ms)`);
    }
  }

  private armFence(): void {
    clearTimeout(this.fenceTimer);
    if (this.signal.aborted) return;
    this.fenceTimer = setTimeout(() => this.checkDeadline(), Math.max(0, this.mustStopAt - performance.now()) + 1);
    this.fenceTimer.unref();
  }

  private async beat(): Promise<void> {
    this.checkDeadline();
    if (this.signal.aborted) return;
    const sentAt = performance.now();
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
