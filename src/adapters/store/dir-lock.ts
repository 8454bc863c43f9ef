// PGlite has no inter-process locking: two processes (or two instances in one process) on one data
// dir corrupt it. A pid lock file next to the database turns that into a clear error; a lock left by
// a dead process is taken over.
import { readFile, unlink, writeFile } from 'node:fs/promises';

export interface DirLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

export async function lockDir(lockFile: string, what: string): Promise<DirLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => unlink(lockFile).catch(() => undefined) };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new Error(`${what} is in use by process ${pid}${pid === process.pid ? ' (this process: close the other store first)' : ''}; `
        + 'stop it, use another --data-dir, or share a PostgreSQL server (FLEETPLANE_DATABASE_URL) between servers');
    }
    await unlink(lockFile).catch(() => undefined); // stale: its process is gone
  }
  throw new Error(`could not lock ${lockFile}`);
}
