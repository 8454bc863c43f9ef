// GitOps delivery benchmark: commit N rendered environments (default blueprint, one tenant repo each)
// through the GitOps driver, against the raw limit measured in the same run: a tight script doing
// the same git work with the git CLI directly (clone, write the same files, add, commit, push) at
// the same concurrency. Rounds alternate so both see the same machine load. Also times a no-op
// re-delivery (same revision, no commit). Prints one JSON line; ratio = Fleetplane / raw (lower is
// better; 1.0 = no overhead). GITOPS_BENCH_ENVS (30), GITOPS_BENCH_CONCURRENCY (4) change the sizes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { GitRepos } from '../src/adapters/git/index.ts';
import { parseBlueprint } from '../src/domain/blueprint.ts';
import type { Cluster, Environment, KubeObject, Revision } from '../src/domain/types.ts';
import { GitopsDriver } from '../src/engine/drivers/gitops.ts';
import type { ClusterClient, DriverContext } from '../src/engine/drivers/types.ts';
import { commitMessage, renderArgoFiles, renderEnvironmentTree } from '../src/render/gitops/index.ts';
import { renderEnvironment } from '../src/render/index.ts';

const ENVS = Number(process.env.GITOPS_BENCH_ENVS ?? 30);
const CONCURRENCY = Number(process.env.GITOPS_BENCH_CONCURRENCY ?? 4);
const ROUNDS = 2;
const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const blueprint = parseBlueprint(readFileSync(join(root, 'blueprints/default/1.4.0.yaml'), 'utf8'));
const placement = { cluster: 'fp-1', server: 'https://127.0.0.1:6443' };
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

/** Secrets go around Git; the benchmark measures Git, so the cluster side is a no-op. */
const noKube: ClusterClient = { cluster: 'fp-1', apply: async (o: KubeObject) => o, get: async () => null, list: async () => [], delete: async () => true };

function revisions(round: number): Revision[] {
  return Array.from({ length: ENVS }, (_, i) => {
    const tenant = `bench-r${round}-t${String(i).padStart(4, '0')}`;
    const out = renderEnvironment({ tenant: { slug: tenant, name: tenant, tier: 'shared' }, environment: { name: 'prod', type: 'prod', values: {} }, blueprint, placement: { cluster: 'fp-1' } });
    return { id: out.revision, tenant, environment: 'prod', blueprint: out.blueprint, version: out.version, objects: out.objects, helmValues: out.helmValues };
  });
}

function ctx(rev: Revision): DriverContext {
  const now = new Date().toISOString();
  const environment: Environment = {
    tenant: rev.tenant, name: 'prod', type: 'prod', blueprint: rev.blueprint, version: rev.version, values: {}, placement: { cluster: 'fp-1', namespace: `${rev.tenant}-prod` },
    delivery: 'gitops', selfHeal: false, health: 'Unknown', conditions: [], resourceVersion: 1, createdAt: now, updatedAt: now,
  };
  const cluster: Cluster = { name: 'fp-1', apiServer: placement.server, provider: 'local', region: 'local', labels: {}, role: 'shared', createdAt: now, updatedAt: now };
  return { environment, cluster, kube: noKube, logger: pino({ level: 'silent' }), signal: new AbortController().signal, now: () => new Date(), operation: { id: `op-${rev.tenant}`, kind: 'onboard', workerId: 'bench' } };
}

async function pool<T>(items: T[], fn: (t: T) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
  return performance.now() - t0;
}

/** The raw limit: the same files and commit with plain git commands, nothing else. */
async function rawDeliver(dir: string, rev: Revision): Promise<void> {
  const bare = join(dir, `${rev.tenant}.git`);
  const work = join(dir, `${rev.tenant}.work`);
  await run('git', ['init', '-q', '--bare', '--initial-branch=main', bare], { env: gitEnv });
  await run('git', ['clone', '-q', bare, work], { env: gitEnv });
  const tree = renderEnvironmentTree(rev, { ...placement, namespace: `${rev.tenant}-prod` });
  const files = { ...tree.files, ...renderArgoFiles({ tenant: rev.tenant, repoURL: `file://${bare}` }, [tree.index]) };
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(work, p)), { recursive: true });
    await writeFile(join(work, p), content);
  }
  await run('git', ['-C', work, 'add', '-A'], { env: gitEnv });
  await run('git', ['-C', work, 'commit', '-q', '-m', commitMessage({ action: 'onboard', tenant: rev.tenant, environment: 'prod', revision: rev.id })], { env: gitEnv });
  await run('git', ['-C', work, 'push', '-q', 'origin', 'HEAD:refs/heads/main'], { env: gitEnv });
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fp-gitops-bench-'));
  try {
    const fp = { ms: 0, n: 0, noopMs: 0 };
    const raw = { ms: 0, n: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const revs = revisions(r);
      const driver = new GitopsDriver({ repos: new GitRepos({ dataDir: join(dir, `fp-${r}`) }) });
      await mkdir(join(dir, `raw-${r}`), { recursive: true });
      raw.ms += await pool(revs, (rev) => rawDeliver(join(dir, `raw-${r}`), rev));
      raw.n += revs.length;
      fp.ms += await pool(revs, (rev) => driver.deliver(ctx(rev), rev));
      fp.n += revs.length;
      fp.noopMs += await pool(revs, (rev) => driver.deliver(ctx(rev), rev));
    }
    const fpPer = fp.ms / fp.n;
    const rawPer = raw.ms / raw.n;
    const objects = revisions(9)[0]!.objects.length;
    console.log(`fleetplane gitops: ${fp.n} deliveries, ${fpPer.toFixed(1)} ms each (${CONCURRENCY} at once); no-op re-delivery ${(fp.noopMs / fp.n).toFixed(1)} ms`);
    console.log(`raw git CLI: ${raw.n} deliveries, ${rawPer.toFixed(1)} ms each; ${objects} objects per environment`);
    console.log(JSON.stringify({
      bench: 'gitops', metric: 'delivery_ms_per_env', value: Number(fpPer.toFixed(1)), unit: 'ms',
      baseline: 'raw git CLI (clone, write, add, commit, push)', baseline_value: Number(rawPer.toFixed(1)), ratio: Number((fpPer / rawPer).toFixed(2)),
      noop_redelivery_ms: Number((fp.noopMs / fp.n).toFixed(1)), envs: fp.n, concurrency: CONCURRENCY, objects_per_env: objects,
      load_avg_1m: Number(loadavg()[0]!.toFixed(1)),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
