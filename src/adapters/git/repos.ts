// Tenant GitOps repositories. Default: local bare repos under <dataDir>/git/<tenant>.git; a tenant
// may instead map to a remote URL with credentials (passed through GIT_ASKPASS, see credentials.ts).
// Every change happens in a throwaway clone (temp dir, removed afterwards) and is pushed; a rejected
// push (someone else pushed first) re-runs the change on the new HEAD. Changes are functions of the
// tree, so re-running them is safe.
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GITOPS_BRANCH } from '../../domain/gitops.ts';
import { assertPathSegment } from '../../domain/gitops.ts';
import { askpassEnv, redactUrl, type RemoteRepoConfig } from './credentials.ts';
import { gitEnv, Workspace } from './workspace.ts';
import { coerceError } from '../../domain/errors.ts';

export interface GitReposOptions {
  dataDir: string;
  /** Remote repo for a tenant; undefined means the local bare repo. */
  remoteFor?: (tenant: string) => RemoteRepoConfig | undefined;
  logger?: Logger;
  /** Push attempts before giving up on a busy repo. */
  maxPushAttempts?: number;
}

export interface ArchiveResult {
  tenant: string;
  /** Where the archived repo (local bare repo or git bundle of a remote) now lives. */
  path: string;
}

function sgit(baseDir: string, env: Record<string, string>, signal?: AbortSignal): SimpleGit {
  return simpleGit({
    baseDir, binary: 'git', maxConcurrentProcesses: 4, abort: signal,
    unsafe: { allowUnsafeAskPass: true, allowUnsafeConfigPaths: true },
  }).env(env);
}

export class GitRepos {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: GitReposOptions) {}

  get root(): string {
    return join(this.opts.dataDir, 'git');
  }

  localPath(tenant: string): string {
    assertPathSegment(tenant, 'tenant');
    return join(this.root, `${tenant}.git`);
  }

  private remote(tenant: string): RemoteRepoConfig {
    return this.opts.remoteFor?.(tenant) ?? { url: pathToFileURL(this.localPath(tenant)).href };
  }

  /** The URL Argo CD reads from (no credentials in it). */
  repoURL(tenant: string): string {
    const r = this.remote(tenant);
    return redactUrl(r.argoURL ?? r.url);
  }

  /** Creates the local bare repo when missing (remote repos must already exist). */
  async ensure(tenant: string): Promise<void> {
    if (this.opts.remoteFor?.(tenant)) return;
    const path = this.localPath(tenant);
    if (await exists(path)) return;
    await mkdir(path, { recursive: true });
    await sgit(path, gitEnv()).raw(['init', '-q', '--bare', `--initial-branch=${GITOPS_BRANCH}`]);
  }

  async exists(tenant: string): Promise<boolean> {
    return this.opts.remoteFor?.(tenant) ? true : exists(this.localPath(tenant));
  }

  /** The branch's current commit, without a clone (`git ls-remote`); null for an empty or missing repo. */
  async head(tenant: string, signal?: AbortSignal): Promise<string | null> {
    if (!(await this.exists(tenant))) return null;
    const remote = this.remote(tenant);
    const askpass = await askpassEnv(remote.credentials);
    try {
      const out = await sgit(tmpdir(), gitEnv(askpass.env), signal).raw(['ls-remote', remote.url, `refs/heads/${GITOPS_BRANCH}`]);
      return /^([0-9a-f]{40,64})\s/.exec(out)?.[1] ?? null;
    } catch (err) {
      throw scrub(err, remote.url);
    } finally {
      await askpass.dispose();
    }
  }

  /** Read-only look at HEAD in a throwaway clone. */
  async read<T>(tenant: string, fn: (ws: Workspace) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.withClone(tenant, signal, fn);
  }

  /**
   * Runs `change` in a fresh clone and pushes what it committed. On a rejected push, clones again
   * and re-runs it. Serialised per tenant within this process.
   */
  async mutate<T>(tenant: string, change: (ws: Workspace) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.ensure(tenant);
    return this.serialised(tenant, async () => {
      const attempts = this.opts.maxPushAttempts ?? 5;
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.withClone(tenant, signal, async (ws) => {
            const before = await ws.head();
            const result = await change(ws);
            if ((await ws.head()) !== before) await ws.git.raw(['push', '-q', 'origin', `HEAD:refs/heads/${GITOPS_BRANCH}`]);
            return result;
          });
        } catch (err) {
          if (attempt >= attempts || !isRejectedPush(err) || signal?.aborted) throw err;
          this.opts.logger?.info({ tenant, attempt }, 'gitops push rejected, retrying on new HEAD');
        }
      }
    });
  }

  /** Moves the tenant's repo to <dataDir>/git/archive (a bundle for remote repos); null when none. */
  async archive(tenant: string, now: Date): Promise<ArchiveResult | null> {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const dir = join(this.root, 'archive');
    await mkdir(dir, { recursive: true });
    return this.serialised(tenant, async () => {
      if (this.opts.remoteFor?.(tenant)) {
        const path = join(dir, `${tenant}-${stamp}.bundle`);
        await this.withClone(tenant, undefined, (ws) => ws.git.raw(['bundle', 'create', path, '--all']));
        return { tenant, path };
      }
      const from = this.localPath(tenant);
      if (!(await exists(from))) return null;
      const path = join(dir, `${tenant}-${stamp}.git`);
      await rename(from, path);
      return { tenant, path };
    });
  }

  private async withClone<T>(tenant: string, signal: AbortSignal | undefined, fn: (ws: Workspace) => Promise<T>): Promise<T> {
    const remote = this.remote(tenant);
    const askpass = await askpassEnv(remote.credentials);
    const env = gitEnv(askpass.env);
    const dir = await mkdtemp(join(tmpdir(), `fleetplane-git-${tenant}-`));
    try {
      await sgit(dir, env, signal).raw(['clone', '-q', '--no-tags', remote.url, '.']);
      const git = sgit(dir, env, signal);
      // An empty repo clones onto an unborn branch whose name depends on git's defaults.
      await git.raw(['symbolic-ref', 'HEAD', `refs/heads/${GITOPS_BRANCH}`]).catch(() => undefined);
      return await fn(new Workspace(dir, git, env));
    } catch (err) {
      throw scrub(err, remote.url);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await askpass.dispose();
    }
  }

  private serialised<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(tenant) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.locks.set(tenant, next);
    void next.finally(() => { if (this.locks.get(tenant) === next) this.locks.delete(tenant); }).catch(() => undefined);
    return next;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isRejectedPush(err: unknown): boolean {
  const msg = coerceError(err).message;
  return /\[rejected\]|non-fast-forward|fetch first|failed to push|cannot lock ref/i.test(msg);
}

/** Git errors quote the remote URL; make sure no userinfo leaks into logs or Operation errors. */
function scrub(err: unknown, url: string): Error {
  const e = coerceError(err);
  const redacted = redactUrl(url);
  if (redacted !== url && e.message.includes(url)) e.message = e.message.split(url).join(redacted);
  return e;
}
