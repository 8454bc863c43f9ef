// Time for the processes' own timers: a monotonic clock and timer scheduling, injected so tests
// drive time by hand (test/helpers/manual-clock.ts) instead of waiting on real timers. The lease
// keeper (engine/lease.ts) and every interval loop (a Ticker: drift reconcile, cluster inventory,
// rollout controller, pre-scaler) take one. Wall-clock time for records stays `now: () => Date`.
import { performance } from 'node:perf_hooks';
import { coerceError } from './domain/errors.ts';

export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes back (performance.now() for the system clock). */
  monotonic(): number;
  /** Calls fn once after ms; never keeps the process alive. Returns a function that cancels it. */
  schedule(ms: number, fn: () => void): () => void;
  /** Resolves after ms, or as soon as signal aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A sleep built on clock.schedule: what every Clock's sleep does. */
export function sleepOn(clock: Pick<Clock, 'schedule'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const cancel = clock.schedule(ms, done);
    const onAbort = (): void => {
      cancel();
      done();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  monotonic: () => performance.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
  sleep: (ms, signal) => sleepOn(systemClock, ms, signal),
};

export interface TickerOptions {
  /** Between the end of one pass and the start of the next; 0 or less: the ticker never runs. */
  intervalMs: number;
  clock?: Clock;
  /** First pass at start (default), or only after one interval. */
  immediate?: boolean;
  /**
   * stop() waits for the pass in flight (default). false: stop() returns at once and the pass is
   * left to finish on its own (a pass that waits on a slow cluster must not hold up a shutdown).
   */
  waitOnStop?: boolean;
  /**
   * The wait before each pass (the first too, unless immediate), instead of intervalMs: e.g. the
   * time to the next wall-clock boundary, so loops on several replicas pass at the same moments.
   */
  nextWaitMs?: () => number;
  /** A pass that threw; the ticker goes on with the next one. */
  onError: (err: Error) => void;
}

/** An interval loop: start, stop (aborting the wait), one pass at a time, errors reported and survived. */
export class Ticker {
  private stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(private readonly pass: (signal: AbortSignal) => Promise<unknown>, private readonly o: TickerOptions) {
    this.clock = o.clock ?? systemClock;
  }

  get started(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop || this.o.intervalMs <= 0) return;
    this.stopper = new AbortController();
    this.loop = this.run(this.stopper.signal);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const wait = (): number => this.o.nextWaitMs?.() ?? this.o.intervalMs;
    if (this.o.immediate === false) await this.clock.sleep(wait(), signal);
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!signal.aborted) {
      const pass = this.pass(signal).then(() => undefined, (raw: unknown) => this.o.onError(coerceError(raw)));
      await (this.o.waitOnStop === false ? Promise.race([pass, stopped]) : pass);
      if (signal.aborted) break;
      await this.clock.sleep(wait(), signal);
    }
  }
}
