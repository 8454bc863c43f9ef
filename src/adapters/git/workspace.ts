// A throwaway clone of a tenant repo: write files, commit if anything changed, revert, look commits
// up by their Fleetplane trailers. Created and cleaned up by GitRepos.mutate/read.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { COMMIT_AUTHOR } from '../../domain/gitops.ts';

export class Workspace {
  constructor(readonly dir: string, readonly git: SimpleGit, private readonly env: Record<string, string>) {}

  /** Commit id of HEAD, null on an empty repo. */
  async head(): Promise<string | null> {
    try {
      return (await this.git.revparse(['--verify', '-q', 'HEAD'])).trim() || null;
    } catch {
      return null;
    }
  }

  async readFile(path: string): Promise<string | null> {
    try {
      return await readFile(join(this.dir, path), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** A file as it is at `commit` (any commit fetched into this clone); null when absent there. */
  async readFileAt(commit: string, path: string): Promise<string | null> {
    if (!/^[0-9a-f]{7,64}$/.test(commit)) return null;
    try {
      return await this.git.raw(['show', `${commit}:${path}`]);
    } catch {
      return null;
    }
  }

  /** Names of the sub-directories of `path` (empty when it does not exist). */
  async listDirs(path: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.dir, path), { withFileTypes: true });
      return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async removeDir(path: string): Promise<void> {
    await rm(join(this.dir, path), { recursive: true, force: true });
  }

  async writeFiles(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }

  /** Makes `dir` hold exactly `files` (stale files removed). */
  async replaceDir(dir: string, files: Record<string, string>): Promise<void> {
    await this.removeDir(dir);
    await this.writeFiles(files);
  }

  /** Stages everything; commits only when the tree changed. Returns the new commit or null. */
  async commitIfChanged(message: string, date: Date): Promise<string | null> {
    await this.git.raw(['add', '-A']);
    const status = await this.git.raw(['status', '--porcelain']);
    if (status.trim() === '') return null;
    const iso = date.toISOString();
    try {
      await this.git.env({ ...this.env, GIT_AUTHOR_DATE: iso, GIT_COMMITTER_DATE: iso })
        .raw(['commit', '-q', '--no-verify', '-m', message]);
    } finally {
      this.git.env(this.env);
    }
    return this.head();
  }

  /** Newest commit whose trailers carry every key: value given. */
  async findCommit(trailers: Record<string, string>): Promise<string | null> {
    if ((await this.head()) === null) return null;
    const greps = Object.entries(trailers).flatMap(([k, v]) => [`--grep=^${escapeRegex(k)}: ${escapeRegex(v)}$`]);
    const out = await this.git.raw(['log', '-E', '--all-match', ...greps, '--format=%H', '-n', '1', 'HEAD']);
    return out.trim() || null;
  }

  /** `git revert --no-commit`; false when it stopped on conflicts (left for the caller to resolve). */
  async revertNoCommit(commit: string): Promise<boolean> {
    try {
      await this.git.raw(['revert', '--no-commit', commit]);
      return true;
    } catch {
      return false;
    }
  }

  async subject(commit: string): Promise<string> {
    return (await this.git.raw(['log', '-1', '--format=%s', commit])).trim();
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Environment for every git child: fixed identity, no user/system config, no prompts. */
export function gitEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: COMMIT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: COMMIT_AUTHOR.email,
    GIT_COMMITTER_NAME: COMMIT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: COMMIT_AUTHOR.email,
  };
  return { ...env, ...extra };
}
