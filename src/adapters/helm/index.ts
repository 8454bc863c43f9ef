// Helm, run as the `helm` binary, for the one place Fleetplane needs a chart rendered itself: the
// self-managed bundle, whose install.sh has only kubectl and a shell (ADR 1710). Argo CD renders
// charts for GitOps; direct delivery installs no chart components. `helm template` is offline: the
// chart comes as its archive (the bytes the bundle carries), the values as a file, no repositories.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../domain/types.ts';

const run = promisify(execFile);

export interface HelmTemplateInput {
  /** The chart archive (.tgz) to render. */
  archive: Buffer;
  release: string;
  namespace: string;
  /** The values override file (YAML). */
  values: string;
  /** `--kube-version` (default: helm's own). */
  kubeVersion?: string;
}

export class HelmError extends Error {}

/** `helm template` of one archive with one values file; the objects in the order helm prints them. */
export async function helmTemplate(helm: string, input: HelmTemplateInput): Promise<KubeObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-helm-'));
  try {
    await writeFile(join(dir, 'chart.tgz'), input.archive);
    await writeFile(join(dir, 'values.yaml'), input.values);
    // A private Helm home: no repositories, plugins or caches of the host's user.
    const env = { PATH: process.env.PATH ?? '', HOME: dir, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config'), HELM_DATA_HOME: join(dir, 'data') };
    const args = ['template', input.release, join(dir, 'chart.tgz'), '--namespace', input.namespace, '-f', join(dir, 'values.yaml'), ...(input.kubeVersion ? ['--kube-version', input.kubeVersion] : [])];
    let stdout: string;
    try {
      ({ stdout } = await run(helm, args, { env, maxBuffer: 32 << 20, timeout: 60_000 }));
    } catch (err) {
      const e = err as { code?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') throw new HelmError(`helm not found at "${helm}" (FLEETPLANE_HELM)`);
      throw new HelmError(`helm template failed: ${(e.stderr || e.message).trim().split('\n')[0]}`);
    }
    return parseAllDocuments(stdout).map((d) => d.toJSON() as KubeObject | null).filter((o): o is KubeObject => !!o && typeof o === 'object' && !!o.kind);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
