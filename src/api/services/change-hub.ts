// One tail of the change feed per store, fanned out to every open event stream of this process, so a
// hundred open consoles cost one query per change, not a hundred. Woken by NOTIFY (migration 900)
// and polled as a fallback. Delivers in id order: an id skipped by a transaction that has not yet
// committed (PostgreSQL hands out ids before commit) is waited for up to GAP_WAIT_MS, then passed
// over (a rolled-back writer never fills it), so Last-Event-ID always means "everything up to here".
import type { Db } from '../../adapters/store/db.ts';
import { changesAfter, latestChange, pruneChanges, type ChangeEvent } from '../../adapters/store/change-events.ts';

export const GAP_WAIT_MS = 2_000;
const BATCH = 1_000;
const KEEP_SECONDS = 24 * 3600;
const PRUNE_EVERY_MS = 3600_000;

export type Listener = (events: ChangeEvent[]) => void;

export interface HubOptions {
  db: Db;
  /** Fallback poll interval (FLEETPLANE_EVENTS_POLL_MS, default 1000). */
  pollMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class ChangeHub {
  private readonly listeners = new Set<Listener>();
  private cursor = 0;
  private readonly ahead = new Map<number, ChangeEvent>();
  private gapSince: { seq: number; at: number } | null = null;
  private started: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pruner: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private again = false;

  constructor(private readonly o: HubOptions) {}

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

  private async drop(fn: Listener): Promise<void> {
    this.listeners.delete(fn);
    if (this.listeners.size === 0) await this.stop();
  }

  private async start(): Promise<void> {
    this.cursor = await latestChange(this.o.db);
    this.unlisten = await this.o.db.listen('fleetplane_changes', () => this.wake());
    this.timer = setInterval(() => this.wake(), this.o.pollMs ?? (Number(process.env.FLEETPLANE_EVENTS_POLL_MS) || 1000));
    this.timer.unref();
    this.pruner = setInterval(() => void pruneChanges(this.o.db, KEEP_SECONDS).catch((err: unknown) => this.o.onError?.(err)), PRUNE_EVERY_MS);
    this.pruner.unref();
    await pruneChanges(this.o.db, KEEP_SECONDS).catch((err: unknown) => this.o.onError?.(err));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pruner) clearInterval(this.pruner);
    this.timer = this.pruner = null;
    const un = this.unlisten;
    this.unlisten = null;
    this.started = null;
    await this.reading?.catch(() => undefined);
    await un?.().catch(() => undefined);
  }

  /** Reads now (coalesced: a wake during a read causes one more read after it). */
  wake(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read().catch((err: unknown) => this.o.onError?.(err)).finally(() => {
      this.reading = null;
      if (this.again && this.unlisten) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async read(): Promise<void> {
    for (;;) {
      const from = Math.max(this.cursor, ...this.ahead.keys());
      const rows = await changesAfter(this.o.db, from, { kind: 'fleet' }, BATCH);
      for (const r of rows) this.ahead.set(r.seq, r);
      const out = this.ordered();
      if (out.length > 0) for (const fn of [...this.listeners]) fn(out);
      if (rows.length < BATCH) return;
    }
  }

  /** Takes the events that are next in id order out of `ahead`, passing over gaps older than GAP_WAIT_MS. */
  private ordered(): ChangeEvent[] {
    const now = (this.o.now ?? Date.now)();
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

const hubs = new WeakMap<Db, ChangeHub>();

export function changeHubFor(db: Db, onError?: (err: unknown) => void): ChangeHub {
  let hub = hubs.get(db);
  if (!hub) hubs.set(db, (hub = new ChangeHub({ db, ...(onError ? { onError } : {}) })));
  return hub;
}
