// One tail of the change feed (Store.changes, migration 900) per process, fanned out to every open
// event stream, so a hundred open consoles cost one query per change, not a hundred. `serve` (and
// the test harness) build it and hand it to the routes in ApiDeps. Woken by NOTIFY
// fleetplane_changes and polled by a Ticker as a fallback; pruned hourly. Delivers in id order: an
// id skipped by a transaction that has not yet committed (PostgreSQL hands out ids before commit) is
// waited for up to GAP_WAIT_MS, then passed over (a rolled-back writer never fills it), so
// Last-Event-ID always means "everything up to here".
import { systemClock, Ticker, type Clock } from '../../clock.ts';
import type { ChangeEvent } from '../../domain/change-feed.ts';
import type { Store } from '../../domain/ports/store.ts';

export const GAP_WAIT_MS = 2_000;
export const DEFAULT_EVENTS_POLL_MS = 1_000;
const BATCH = 1_000;
const KEEP_SECONDS = 24 * 3600;
const PRUNE_EVERY_MS = 3600_000;

export type Listener = (events: ChangeEvent[]) => void;

export interface HubOptions {
  store: Pick<Store, 'changes' | 'listen'>;
  /** Fallback poll interval (FLEETPLANE_EVENTS_POLL_MS through FleetplaneConfig, default 1000). */
  pollMs?: number;
  /** The poll, the pruner and the gap wait run on it (tests pass a ManualClock). */
  clock?: Clock;
  onError?: (err: Error) => void;
}

export class ChangeHub {
  private readonly listeners = new Set<Listener>();
  private cursor = 0;
  private readonly ahead = new Map<number, ChangeEvent>();
  private gapSince: { seq: number; at: number } | null = null;
  private started: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private tickers: Ticker[] = [];
  private reading: Promise<void> | null = null;
  private again = false;
  /** The hub's clock; the streams' heartbeats run on it too. */
  readonly clock: Clock;

  constructor(private readonly o: HubOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** Subscribes; resolves with the last id already delivered (events after it reach `fn`). */
  async subscribe(fn: Listener): Promise<{ cursor: number; unsubscribe: () => Promise<void> }> {
    this.listeners.add(fn);
    try {
      await (this.started ??= this.start());
    } catch (err) {
      this.listeners.delete(fn);
      this.started = null;
      throw err;
    }
    return { cursor: this.cursor, unsubscribe: () => this.drop(fn) };
  }

  /** Open subscriptions (tests, metrics). */
  get subscribers(): number {
    return this.listeners.size;
  }

  private async drop(fn: Listener): Promise<void> {
    this.listeners.delete(fn);
    if (this.listeners.size === 0) await this.stop();
  }

  private async start(): Promise<void> {
    const { store } = this.o;
    this.cursor = await store.changes.latest();
    this.unlisten = await store.listen('fleetplane_changes', () => this.wake());
    const onError = (err: Error) => this.o.onError?.(err);
    this.tickers = [
      new Ticker(() => this.wake(), { intervalMs: this.o.pollMs ?? DEFAULT_EVENTS_POLL_MS, clock: this.clock, immediate: false, onError }),
      new Ticker(() => store.changes.prune(KEEP_SECONDS), { intervalMs: PRUNE_EVERY_MS, clock: this.clock, waitOnStop: false, onError }),
    ];
    for (const t of this.tickers) t.start();
  }

  /** Stops the tail (the last subscriber leaving does it too); the next subscribe starts it again. */
  async stop(): Promise<void> {
    const tickers = this.tickers;
    this.tickers = [];
    const un = this.unlisten;
    this.unlisten = null;
    this.started = null;
    await Promise.all(tickers.map((t) => t.stop()));
    await this.reading?.catch(() => undefined);
    await un?.().catch(() => undefined);
  }

  /** Reads now (coalesced: a wake during a read causes one more read after it); resolves when read. */
  wake(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const reading = this.read().catch((err: unknown) => this.o.onError?.(err instanceof Error ? err : new Error(String(err)))).finally(() => {
      this.reading = null;
      if (this.again && this.unlisten) {
        this.again = false;
        void this.wake();
      }
    });
    this.reading = reading;
    return reading;
  }

  private async read(): Promise<void> {
    for (;;) {
      const from = Math.max(this.cursor, ...this.ahead.keys());
      const rows = await this.o.store.changes.after(from, { kind: 'fleet' }, BATCH);
      for (const r of rows) this.ahead.set(r.seq, r);
      const out = this.ordered();
      if (out.length > 0) for (const fn of [...this.listeners]) fn(out);
      if (rows.length < BATCH) return;
    }
  }

  /** Takes the events that are next in id order out of `ahead`, passing over gaps older than GAP_WAIT_MS. */
  private ordered(): ChangeEvent[] {
    const now = this.clock.monotonic();
    const out: ChangeEvent[] = [];
    while (this.ahead.size > 0) {
      const next = this.cursor + 1;
      const ev = this.ahead.get(next);
      if (ev) {
        this.ahead.delete(next);
        out.push(ev);
        this.cursor = next;
        this.gapSince = null;
        continue;
      }
      if (!this.gapSince || this.gapSince.seq !== next) this.gapSince = { seq: next, at: now };
      if (now - this.gapSince.at < GAP_WAIT_MS) break;
      this.cursor = next; // a rolled-back (or very slow) writer: its id is passed over
    }
    return out;
  }
}
