// A Clock (src/clock.ts) that moves only when a test says so: `await clock.advance(ms)` runs every
// timer falling due in that span, in order, and lets the work each one starts settle (promise
// chains, fake or in-process I/O) before the next. Tests of the lease keeper and the interval loops
// then assert what happens at a moment instead of waiting for real timers on a loaded machine.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { sleepOn, type Clock } from '../../src/clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 0) {
    this.t = start;
  }

  monotonic(): number {
    return this.t;
  }

  schedule(ms: number, fn: () => void): () => void {
    const seq = ++this.seq;
    this.timers.set(seq, { at: this.t + Math.max(0, ms), seq, fn });
    return () => this.timers.delete(seq);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time on by ms, running the timers that fall due in order of their time (then of scheduling). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      const due = [...this.timers.values()].filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.delete(due.seq);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/** Lets promise chains started by a timer run to their next real wait. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await nextTurn();
}
