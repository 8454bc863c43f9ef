// Build progress: a cli-progress bar on a terminal, a line every 30 s otherwise (CI logs).
import cliProgress from 'cli-progress';

const LINE_EVERY_MS = 30_000;

export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private label = '';
  private done = 0;
  private total = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly log: (line: string) => void) {}

  start(label: string, total: number): void {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.startedAt = Date.now();
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        { format: `  ${label} [{bar}] {value}/{total} packages | {duration_formatted}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0);
    } else {
      this.timer = setInterval(() => this.log(this.line()), LINE_EVERY_MS);
      this.timer.unref();
    }
  }

  tick(): void {
    this.done = Math.min(this.done + 1, this.total);
    this.bar?.update(this.done);
  }

  stop(outcome: string): void {
    if (this.bar) {
      this.bar.update(this.total);
      this.bar.stop();
    }
    if (this.timer) clearInterval(this.timer);
    this.log(`[testbed] ${this.label}: ${outcome}`);
  }

  private line(): string {
    const secs = Math.round((Date.now() - this.startedAt) / 1000);
    return `[testbed] building ${this.label}: ${this.done}/${this.total} packages compiled, ${Math.floor(secs / 60)}m${secs % 60}s elapsed`;
  }
}
