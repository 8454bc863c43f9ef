// The big tour's one progress display: cli-progress bars (the library the testbed's build progress
// uses) redrawn in place on a terminal; without one (CI, pipes), one line per bar when it changed,
// at most every LINE_EVERY_MS, and a last line when it stops.
import cliProgress from 'cli-progress';

const LINE_EVERY_MS = 10_000;

export interface ProgressBar {
  /** done of total, with a short text after the numbers (e.g. "3 running, 1 failed"). */
  update(done: number, info?: string, total?: number): void;
}

interface Row { label: string; done: number; total: number; info: string; bar?: cliProgress.SingleBar; printed: string }

export class ProgressDisplay {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly rows: Row[] = [];
  private readonly started = Date.now();
  private lastLines = 0;

  constructor(private readonly log: (line: string) => void, tty = Boolean(process.stdout.isTTY)) {
    if (tty) {
      this.multi = new cliProgress.MultiBar({
        format: '  {label} [{bar}] {value}/{total} {info} | {duration_formatted}',
        stream: process.stdout, hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: 28, fps: 5,
      }, cliProgress.Presets.shades_classic);
    }
  }

  bar(label: string, total: number): ProgressBar {
    const row: Row = { label, done: 0, total, info: '', printed: '' };
    row.bar = this.multi?.create(total, 0, { label, info: '' });
    this.rows.push(row);
    return {
      update: (done, info = '', newTotal) => {
        row.done = done;
        row.info = info;
        if (newTotal !== undefined && newTotal !== row.total) {
          row.total = newTotal;
          row.bar?.setTotal(newTotal);
        }
        row.bar?.update(done, { label, info });
        this.lines(false);
      },
    };
  }

  stop(): void {
    if (this.multi) this.multi.stop();
    else this.lines(true);
  }

  /** Without a terminal: the rows that changed, at most every LINE_EVERY_MS (always when stopping). */
  private lines(final: boolean): void {
    if (this.multi) return;
    const now = Date.now();
    if (!final && now - this.lastLines < LINE_EVERY_MS) return;
    this.lastLines = now;
    const elapsed = `${Math.round((now - this.started) / 1000)}s`;
    for (const r of this.rows) {
      const text = `${r.label} ${r.done}/${r.total}${r.info ? ` ${r.info}` : ''}`;
      if (text === r.printed && !final) continue;
      r.printed = text;
      this.log(`  ${text}  ${elapsed}`);
    }
  }
}
