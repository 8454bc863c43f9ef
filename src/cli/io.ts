// Where the CLI writes. Defaults to the process's streams; main(argv, io) swaps them so tests can
// run commands in-process without touching process.stdout (the test runner's own channel).
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Draw live progress lines (only on a terminal). */
  isTTY: boolean;
}

export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  get isTTY() {
    return Boolean(process.stderr.isTTY);
  },
};

let current: CliIo = processIo;

export function io(): CliIo {
  return current;
}

export function setIo(next: CliIo): void {
  current = next;
}
