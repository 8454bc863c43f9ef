// The production build (npm run build; the image's and the chart's entry point) runs with node alone:
// every import is rewritten to .js, the SQL migrations travel with it, and the paths src resolves against
// the repository root (runbooks, vendored charts, console) resolve the same from the output folder. The
// server is started from the build with no TypeScript loader anywhere in its options, on an empty embedded
// store, and answers through the store (migrated) and the asset routes.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from './observability-support.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = `.dist-test-${randomBytes(3).toString('hex')}`;
const TOKEN = `fp_${randomBytes(16).toString('hex')}`;
let dataDir: string;
let child: ChildProcess | undefined;
let url = '';
let stderr = '';

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

before(async () => {
  execFileSync('bash', ['scripts/build.sh', OUT], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  dataDir = await mkdtemp(join(tmpdir(), 'fp-build-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETPLANE_ADMIN_TOKEN: TOKEN, FLEETPLANE_DATABASE_URL: '', FLEETPLANE_WORKERS: '0', FLEETPLANE_LOG_LEVEL: 'info' };
  delete env.NODE_OPTIONS; // no loader inherited from the test runner
  child = spawn(process.execPath, [join(ROOT, OUT, 'cli/main.js'), 'serve', '--port', String(port), '--data-dir', dataDir], { cwd: tmpdir(), env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (stderr += d));
  url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve from the build exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`serve from the build did not become ready: ${stderr}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await rm(join(ROOT, OUT), { recursive: true, force: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('the build has no TypeScript left: no .ts import specifiers, no test files, the migrations beside it', async () => {
  const files = await filesUnder(join(ROOT, OUT));
  const js = files.filter((f) => f.endsWith('.js'));
  assert.ok(js.length > 100, `compiled modules: ${js.length}`);
  assert.equal(files.filter((f) => f.endsWith('.ts')).length, 0, 'no .ts files in the build');
  assert.equal(js.filter((f) => f.endsWith('.test.js')).length, 0, 'no tests in the build');
  for (const f of js) {
    const src = await readFile(f, 'utf8');
    assert.doesNotMatch(src, /(?:from\s+|import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/, `${f}: a relative .ts import survived`);
  }
  // The image installs the production dependencies only (npm ci --omit=dev): every package the build
  // imports must be one of them.
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const outside = new Set<string>();
  for (const f of js) {
    const src = await readFile(f, 'utf8');
    const specs = [...src.matchAll(/^\s*(?:import|export)\b[^;'"]*?from\s+['"]([^'"]+)['"]/gm), ...src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
    for (const spec of specs) {
      if (spec.startsWith('.') || spec.startsWith('node:') || isBuiltin(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (!(name in pkg.dependencies)) outside.add(`${name} (${f.slice(ROOT.length + 1)})`);
    }
  }
  assert.deepEqual([...outside], [], 'imported by the build but not a production dependency');
  const sql = (await readdir(join(ROOT, 'src/adapters/store/migrations'))).filter((f) => f.endsWith('.sql')).sort();
  assert.deepEqual((await readdir(join(ROOT, OUT, 'adapters/store/migrations'))).filter((f) => f.endsWith('.sql')).sort(), sql);
});

test('serve from the build, with node alone, migrates an empty store and answers through it', async () => {
  assert.doesNotMatch(String(child?.spawnargs.join(' ')), /tsx/);
  const unauth = await fetch(`${url}/v1/tenants`);
  assert.equal(unauth.status, 401);
  const res = await fetch(`${url}/v1/tenants`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(Array.isArray(((await res.json()) as { items?: unknown }).items));
  const bad = await fetch(`${url}/v1/tenants`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Not A Name!' }) });
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /application\/problem\+json/);
});

test('the asset routes resolve from the build as from src: the runbooks on disk are the ones served', async () => {
  const list = (await (await fetch(`${url}/runbooks`)).json()) as { items: Array<{ name: string }> };
  const onDisk = (await readdir(join(ROOT, 'docs/runbooks'))).filter((f) => f.endsWith('.md')).map((f) => f.replace(/\.md$/, '')).sort();
  assert.deepEqual(list.items.map((i) => i.name).sort(), onDisk);
  const one = await fetch(`${url}/runbooks/${onDisk[0]}`);
  assert.equal(one.status, 200);
  assert.equal(await one.text(), await readFile(join(ROOT, 'docs/runbooks', `${onDisk[0]}.md`), 'utf8'));
});
