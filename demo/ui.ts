// Demo output: step titles, a live progress line (redrawn on a terminal, printed on change
// otherwise), and step bookkeeping so one failed step is reported and the tour goes on.
import { coerceError } from '../src/domain/errors.ts';

const tty = Boolean(process.stdout.isTTY);
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);

export const say = (s = '') => void process.stdout.write(`${s}\n`);
export const note = (s: string) => say(`  ${s}`);

/** Indents a block (tables) under its step. */
export function block(text: string): void {
  say(text.split('\n').map((l) => `  ${l}`).join('\n'));
}

export function title(s: string): void {
  say(`\n${bold(`== ${s}`)}`);
}

export function bar(done: number, total: number, width = 24): string {
  const n = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}

/** One status line that updates in place. */
export class LiveLine {
  private last = '';
  update(line: string): void {
    if (line === this.last) return;
    this.last = line;
    if (tty) process.stdout.write(`\r\x1b[2K  ${line}`);
    else say(`  ${line}`);
  }
  done(): void {
    if (tty && this.last) process.stdout.write('\n');
    this.last = '';
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function secondsSince(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

export interface StepResult { name: string; ok: boolean; seconds: number; reason?: string }

/** Runs titled steps; a failure prints one line and the next step still runs. */
export class Tour {
  readonly results: StepResult[] = [];

  async step(name: string, fn: () => Promise<void>): Promise<boolean> {
    title(name);
    const t0 = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true, seconds: (Date.now() - t0) / 1000 });
      return true;
    } catch (err) {
      const reason = coerceError(err).message.split('\n')[0]!;
      say(`  ✗ step failed: ${reason}`);
      this.results.push({ name, ok: false, seconds: (Date.now() - t0) / 1000, reason });
      return false;
    }
  }

  skip(name: string, reason: string): void {
    title(name);
    say(`  - skipped: ${reason}`);
    this.results.push({ name, ok: false, seconds: 0, reason: `skipped: ${reason}` });
  }

  get failed(): StepResult[] {
    return this.results.filter((r) => !r.ok);
  }
}

/**
 * Calls fn again (up to `attempts`, 1 s apart) when it fails the way a busy local server can: a reset
 * connection (CLI exit code 3), 429 or 5xx. A follower that polls for minutes must not give up on one.
 */
export async function retrying<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const e = err as { exitCode?: number; status?: number };
      const transient = e.exitCode === 3 || e.status === 429 || (e.status ?? 0) >= 500;
      if (!transient || i >= attempts) throw err;
      await sleep(1000 * i);
    }
  }
}
