// Keeps an operation's lease alive while a worker runs it, and fences the worker itself: when a
// heartbeat is refused (another worker took over) or no heartbeat succeeded for most of the lease
// (the database is unreachable, so the lease may expire), the signal aborts and the step stops.
import type { OperationQueue } from '../adapters/store/queue/types.ts';

export class LeaseKeeper {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private lastOk = Date.now();
  lost = false;

  constructor(private readonly queue: OperationQueue, private readonly lease: { id: string; token: string; leaseMs: number }, parent?: AbortSignal) {
    if (parent) {
      if (parent.aborted) this.controller.abort(parent.reason);
      else parent.addEventListener('abort', () => this.controller.abort(parent.reason), { once: true });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): this {
    const every = Math.max(50, Math.floor(this.lease.leaseMs / 3));
    this.timer = setInterval(() => void this.beat(), every);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.controller.signal.aborted) return;
    try {
      if (await this.queue.heartbeat(this.lease.id, this.lease.token, this.lease.leaseMs)) {
        this.lastOk = Date.now();
        return;
      }
      this.lose('lease lost: the operation was taken over or finished elsewhere');
    } catch {
      if (Date.now() - this.lastOk > this.lease.leaseMs * 0.8) this.lose('lease at risk: heartbeats failing');
    }
  }

  private lose(reason: string): void {
    this.lost = true;
    this.controller.abort(new Error(reason));
  }
}
