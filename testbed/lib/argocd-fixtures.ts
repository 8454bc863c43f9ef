// What the testbed's Argo CD reads from besides the clusters, served on 127.0.0.1 by one detached
// Node process (argocd-fixtures-main.ts):
//   git:    read-only smart HTTP over <state>/argocd/git/<name>.git, HTTP Basic per repository
//           (src/adapters/git/http-server.ts; credentials in git-credentials.json, sha256 only);
//   charts: a Helm chart repository (index.yaml + <chart>-<version>.tgz, plain HTTP GET) built with the
//           testbed's helm from the charts Fleetplane vendors (blueprints/charts/*, ADR 1710): the
//           mirror Argo CD reads them from (FLEETPLANE_GITOPS_CHART_MIRRORS in production).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { TESTBED_ROOT } from './config.ts';
import { run } from './exec.ts';

export const FIXTURE_PORTS = { git: 16387, charts: 16388 };
const CHARTS_SRC = path.join(TESTBED_ROOT, '..', 'blueprints', 'charts');

/** Chart name -> versions published (the versions the blueprints pin; blueprints/charts/<name>/Chart.yaml). */
export const PUBLISHED_CHARTS: Record<string, string[]> = { 'fleetplane-redis': ['1.0.0'] };
/** The upstream the blueprints name (spec.components[].chart.repo) for the vendored charts. */
export const VENDORED_CHART_REPO = 'oci://ghcr.io/fleetplane/charts';

export interface FixtureDirs {
  git: string;
  credentials: string;
  charts: string;
}

export function fixtureDirs(argocdState: string): FixtureDirs {
  return { git: path.join(argocdState, 'git'), credentials: path.join(argocdState, 'git-credentials.json'), charts: path.join(argocdState, 'charts') };
}

export const gitBaseURL = () => `http://127.0.0.1:${FIXTURE_PORTS.git}`;
export const chartRepoURL = () => `http://127.0.0.1:${FIXTURE_PORTS.charts}`;

/** sha256 over every file of the chart sources: a changed chart is packaged again. */
async function chartsSourceHash(): Promise<string> {
  const h = createHash('sha256');
  const files = (await fs.readdir(CHARTS_SRC, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name)).sort();
  for (const f of files) h.update(path.relative(CHARTS_SRC, f)).update('\0').update(await fs.readFile(f)).update('\0');
  return h.digest('hex');
}

/** Packages every published chart version and writes index.yaml (skipped when all are there from the same sources). */
export async function prepareCharts(dirs: FixtureDirs, helm: string): Promise<string[]> {
  await fs.mkdir(dirs.charts, { recursive: true });
  const wanted = Object.entries(PUBLISHED_CHARTS).flatMap(([name, versions]) => versions.map((v) => ({ name, v, file: path.join(dirs.charts, `${name}-${v}.tgz`) })));
  const stamp = path.join(dirs.charts, '.source-sha256');
  const source = await chartsSourceHash();
  const packaged = await fs.readFile(stamp, 'utf8').catch(() => '');
  if (packaged === source && wanted.every((w) => existsSync(w.file)) && existsSync(path.join(dirs.charts, 'index.yaml'))) return wanted.map((w) => w.file);
  for (const w of wanted) {
    await run(helm, ['package', path.join(CHARTS_SRC, w.name), '--version', w.v, '--destination', dirs.charts], { env: helmEnv(dirs) });
  }
  await run(helm, ['repo', 'index', dirs.charts, '--url', chartRepoURL()], { env: helmEnv(dirs) });
  await fs.writeFile(stamp, source);
  return wanted.map((w) => w.file);
}

function helmEnv(dirs: FixtureDirs): NodeJS.ProcessEnv {
  const home = path.join(path.dirname(dirs.charts), 'helm-home');
  return { ...process.env, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') };
}

export interface GitRepoCredentials {
  name: string;
  /** Clone URL for Argo CD, e.g. http://127.0.0.1:16387/acme.git */
  url: string;
  /** The bare repository on disk (push to it with the git CLI; the HTTP side is read-only). */
  path: string;
  username: string;
  password: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Creates (or re-keys) bare repo <name>.git and gives it fresh credentials; returns them once. */
export async function addGitRepo(dirs: FixtureDirs, name: string): Promise<GitRepoCredentials> {
  if (!NAME.test(name)) throw new Error(`git repo name "${name}" must be a DNS label`);
  await fs.mkdir(dirs.git, { recursive: true });
  const repo = path.join(dirs.git, `${name}.git`);
  if (!existsSync(repo)) execFileSync('git', ['init', '-q', '--bare', '--initial-branch=main', repo], { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  const password = randomBytes(18).toString('base64url');
  const creds = existsSync(dirs.credentials) ? JSON.parse(await fs.readFile(dirs.credentials, 'utf8')) as Record<string, unknown> : {};
  creds[name] = { username: name, passwordSha256: createHash('sha256').update(password).digest('hex') };
  // Atomic replace: the server re-reads the file when it changes.
  const tmp = `${dirs.credentials}.tmp-${process.pid}`;
  await fs.writeFile(tmp, JSON.stringify(creds, null, 2), { mode: 0o600 });
  await fs.rename(tmp, dirs.credentials);
  return { name, url: `${gitBaseURL()}/${name}.git`, path: repo, username: name, password };
}

export async function removeGitRepo(dirs: FixtureDirs, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`git repo name "${name}" must be a DNS label`);
  if (existsSync(dirs.credentials)) {
    const creds = JSON.parse(await fs.readFile(dirs.credentials, 'utf8')) as Record<string, unknown>;
    delete creds[name];
    await fs.writeFile(dirs.credentials, JSON.stringify(creds, null, 2), { mode: 0o600 });
  }
  await fs.rm(path.join(dirs.git, `${name}.git`), { recursive: true, force: true });
}

const CHART_FILE = /^\/([a-z0-9][a-z0-9._-]*\.tgz|index\.yaml)$/;

/** Static, read-only chart repository: GET/HEAD of index.yaml and the packaged charts, nothing else. */
export function startChartServer(dir: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const m = CHART_FILE.exec((req.url ?? '/').split('?')[0]!);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !m) return void res.writeHead(404).end();
    fs.readFile(path.join(dir, m[1]!)).then(
      (body) => res.writeHead(200, { 'content-type': m[1]!.endsWith('.tgz') ? 'application/gzip' : 'text/yaml', 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
