// Detached processes that outlive the CLI: each runs in its own process group with output to a log
// file, and its pid is recorded. A pid only counts as ours while /proc/<pid>/cmdline still names
// the binary we started, so a recycled pid is never signalled.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface ProcRecord {
  name: string;
  pid: number;
  binary: string;
}

export function startDetached(name: string, binary: string, args: string[], logDir: string, opts: { env?: Record<string, string>; cwd?: string } = {}): ProcRecord {
  const fd = openSync(path.join(logDir, `${name}.log`), 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], cwd: opts.cwd, env: { ...process.env, GOMAXPROCS: '2', ...opts.env } });
    if (!child.pid) throw new Error(`could not start ${name} (${binary})`);
    child.unref();
    return { name, pid: child.pid, binary };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(p: ProcRecord): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; it only waits for its parent to reap it.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return cmdline.split('\0')[0] === p.binary && state !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True until the process is fully gone: an exiting process loses its cmdline before its sockets. */
function lingering(p: ProcRecord): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period, for every recorded process still ours. */
export async function stopAll(procs: ProcRecord[], graceMs = 10_000): Promise<void> {
  const live = procs.filter(isAlive);
  for (const p of live) signal(p, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (live.some(lingering) && Date.now() < deadline) await sleep(100);
  for (const p of live.filter(isAlive)) signal(p, 'SIGKILL');
  const killDeadline = Date.now() + 5_000; // bounded: a reused pid must not hang us
  while (live.some(lingering) && Date.now() < killDeadline) await sleep(50);
}

function signal(p: ProcRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(p.pid, sig);
  } catch {
    // already gone
  }
}

export async function readProcs(file: string): Promise<ProcRecord[]> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as ProcRecord[];
  } catch {
    return [];
  }
}

export async function writeProcs(file: string, procs: ProcRecord[]): Promise<void> {
  await fs.writeFile(file, JSON.stringify(procs, null, 2) + '\n');
}
