// API requests per tenant: a Fastify onResponse hook counts each request a tenant token made
// (status < 500) into a per-tenant-hour counter in memory, flushed to the store in batches. A flush
// carries an id, so a retried flush (its first try may have committed) adds nothing twice; a failed
// flush keeps its counts for the next one. A SIGKILL loses at most the counts since the last flush.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { hourOf } from './dimensions.ts';
import type { ApiCount, MeteringStore } from './types.ts';

interface Batch { id: string; counts: Map<string, ApiCount> }

export class ApiRequestMeter {
  private counts = new Map<string, ApiCount>();
  private retry: Batch | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly metering: MeteringStore, private readonly now: () => Date, private readonly logger?: Logger) {}

  count(tenant: string): void {
    const hour = hourOf(this.now());
    const key = `${tenant}\u0000${hour.getTime()}`;
    const c = this.counts.get(key);
    if (c) c.requests++;
    else this.counts.set(key, { tenant, hour, requests: 1 });
  }

  /** Counts not yet in the store. */
  pending(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.requests;
    for (const c of this.retry?.counts.values() ?? []) n += c.requests;
    return n;
  }

  /** Writes what was counted so far; serialized, so concurrent callers never flush one batch twice. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.flushOnce());
    this.flushing = next.catch(() => undefined);
    return next;
  }

  private async flushOnce(): Promise<void> {
    // A batch whose write failed is retried with its id first: if that write did commit, the store skips it.
    const batch = this.retry ?? (this.counts.size > 0 ? { id: randomUUID(), counts: this.counts } : null);
    if (!batch) return;
    if (batch !== this.retry) this.counts = new Map();
    this.retry = batch;
    try {
      await this.metering.addApiRequests(batch.id, [...batch.counts.values()], this.now());
      this.retry = null;
    } catch (err) {
      this.logger?.warn({ err, flush: batch.id }, 'metering: API request counts not flushed; kept for the next flush');
      throw err;
    }
  }
}
