// A lock file so two processes (e.g. two test files run in parallel) never start the same clusters.
import fs from 'node:fs/promises';
import path from 'node:path';
import { sleep } from './api.ts';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 90 * 60_000): Promise<T> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, '.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(await fs.readFile(file, 'utf8').catch(() => '0'));
      // A holder that died (or an unreadable file) leaves a stale lock: take it over.
      if (!holder || !pidAlive(holder)) await fs.rm(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`testbed is locked by pid ${holder} (${file})`);
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(file, { force: true });
  }
}
