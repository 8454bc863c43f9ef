// fleetplane render: an environment's objects offline, like `helm template`. From a blueprint
// release file and an environment spec to the manifests in apply order (YAML stream, or -o json),
// or with --gitops the tenant repo tree (manifests, Helm values, revision.json and the Argo CD
// objects) as files, each preceded by a `# Source:` line (or written below --out-dir). No server,
// no cluster: users and CI can diff, validate and review a change before it is delivered.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { parseBlueprint } from '../../domain/blueprint.ts';
import { canonicalYamlStream } from '../../domain/canonical.ts';
import { InputError } from '../../domain/errors.ts';
import type { Revision } from '../../domain/types.ts';
import { renderArgoFiles, renderEnvironmentTree } from '../../render/gitops/index.ts';
import { renderEnvironment, type RenderInput, type RenderResult } from '../../render/index.ts';
import { CliError } from '../client.ts';
import { readDoc } from '../context.ts';
import { io } from '../io.ts';

interface RenderOpts { blueprint: string; env: string; gitops?: boolean; repoUrl?: string; clusterServer: string; outDir?: string }

/** The environment spec file: the RenderInput minus the blueprint. */
export function renderInputOf(spec: Record<string, unknown>, blueprint: RenderInput['blueprint']): RenderInput {
  const { tenant, environment, placement, platform } = spec as Partial<RenderInput>;
  if (!tenant || typeof tenant !== 'object') throw new CliError('environment spec: tenant { slug, name, tier } is required', 2);
  if (!environment || typeof environment !== 'object') throw new CliError('environment spec: environment { name, type, values } is required', 2);
  return { tenant: { ...tenant, name: tenant.name ?? tenant.slug }, environment, blueprint, placement: placement ?? { cluster: 'local' }, ...(platform ? { platform } : {}) };
}

export function renderOffline(input: RenderInput): RenderResult {
  try {
    return renderEnvironment(input);
  } catch (err) {
    if (err instanceof InputError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** The tenant repo tree of one environment: its directory plus the argocd/ directory. */
export function gitopsFiles(input: RenderInput, r: RenderResult, o: Pick<RenderOpts, 'repoUrl' | 'clusterServer'>): Record<string, string> {
  const revision: Revision = { id: r.revision, tenant: input.tenant.slug, environment: input.environment.name, blueprint: r.blueprint, version: r.version, objects: r.objects, helmValues: r.helmValues };
  // As the GitOps driver commits it: guard rails (Namespace, quota, limits, NetworkPolicies) out of band, listed in revision.json.
  const tree = renderEnvironmentTree(revision, { cluster: input.placement.cluster, server: o.clusterServer, namespace: r.namespace }, { guardRails: 'out-of-band' });
  const repoURL = o.repoUrl ?? `https://git.example.com/fleetplane/${input.tenant.slug}.git`;
  return { ...tree.files, ...renderArgoFiles({ tenant: input.tenant.slug, repoURL }, [tree.index]) };
}

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  const root = resolve(dir);
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const target = resolve(root, path);
    if (!target.startsWith(root + sep)) throw new CliError(`refusing to write ${path} outside ${dir}`, 1);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

async function run(o: RenderOpts, cmd: Command): Promise<void> {
  const format = cmd.optsWithGlobals<{ output?: string }>().output ?? 'table';
  if (!['table', 'yaml', 'json'].includes(format)) throw new CliError(`-o must be yaml or json, got "${format}"`, 2);
  const blueprint = (() => {
    try {
      return parseBlueprint(o.blueprint);
    } catch (err) {
      throw new CliError(`--blueprint: ${(err as Error).message}`, 2);
    }
  })();
  const input = renderInputOf(await readDoc(o.env), blueprint);
  const r = renderOffline(input);
  if (!o.gitops) {
    const objects = r.objects.map((x) => x.object);
    io().out(format === 'json' ? `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n` : canonicalYamlStream(objects));
    return;
  }
  const files = gitopsFiles(input, r, o);
  if (o.outDir) return writeTree(o.outDir, files);
  if (format === 'json') return io().out(`${JSON.stringify(files, null, 2)}\n`);
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) io().out(`---\n# Source: ${path}\n${content.endsWith('\n') ? content : `${content}\n`}`);
}

export default function register(program: Command): void {
  program.command('render').description('render an environment offline (like helm template): manifests in apply order, or --gitops for the tenant repo tree')
    .requiredOption('-b, --blueprint <file>', 'blueprint release document (YAML)')
    .requiredOption('-e, --env <file>', 'environment spec: { tenant: {slug, name, tier}, environment: {name, type, values}, placement: {cluster, namespace?}, platform? } ("-" = stdin)')
    .option('--gitops', 'print the tenant repo tree (manifests, Helm values, revision.json, Argo CD objects)')
    .option('--repo-url <url>', 'with --gitops: the tenant repo URL Argo CD clones')
    .option('--cluster-server <url>', 'with --gitops: the destination cluster API URL', 'https://kubernetes.default.svc')
    .option('--out-dir <dir>', 'with --gitops: write the files below this directory instead of printing them')
    .action(async (o: RenderOpts, cmd: Command) => {
      let text: string;
      try {
        text = await readFile(o.blueprint, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${o.blueprint}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
      }
      await run({ ...o, blueprint: text }, cmd);
    });
}


