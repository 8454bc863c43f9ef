// The layers of docs/adr/0001 and the review's target layout, enforced (ESLint's pure-core rule and
// src/adapters/store/sql-boundary.test.ts hold the rest; the last tests here prove that the lint rule
// fires). Every import between parts of src/ is read with the TypeScript compiler and must be an arrow
// that MAY_IMPORT draws; the parts' graph has no cycle; nothing below src/cli/ reads process.env; the
// services (engine, scaling, metrics, metering) do no I/O of their own; src/ imports nothing from demo/,
// bench/, test/ or testbed/; docs/adr/README.md lists every ADR. A new folder under src/ fails until it
// is given its place here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import ts from 'typescript';
import { ESLint } from 'eslint';
import { findings, sourceFiles } from './helpers/ts-scan.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');

/** Each adapter folder may use only the core's nouns and the process's clock and logger. */
const ADAPTER: readonly string[] = ['domain', 'clock', 'logging'];
const ADAPTERS = ['adapters/archive', 'adapters/git', 'adapters/helm', 'adapters/kube', 'adapters/marketplace', 'adapters/prometheus', 'adapters/store', 'adapters/upgrade'];

/** Who may import whom, bottom up: the pure core, then adapters and leaves, services, the edge. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  domain: [],
  /** render/components/vpa.ts sizes its recommendation with forecast/vpa.ts (both pure). */
  render: ['domain', 'forecast'],
  plan: ['domain'],
  forecast: ['domain'],
  observability: ['domain', 'render'],
  clock: ['domain'],
  logging: [],
  metrics: ['domain'],
  ...Object.fromEntries(ADAPTERS.map((a) => [a, ADAPTER])),
  engine: ['domain', 'render', 'plan', 'clock', 'logging', 'metrics', ...ADAPTERS],
  scaling: ['domain', 'forecast', 'plan', 'render', 'clock', 'logging', 'metrics', ...ADAPTERS],
  metering: ['domain', 'clock', 'logging', 'metrics', ...ADAPTERS],
  /** The customer-side installer of self-managed bundles (verify, preflight, install, report). */
  selfmanaged: ['domain', 'render', 'plan', 'clock', 'logging', ...ADAPTERS],
  api: ['domain', 'render', 'plan', 'forecast', 'observability', 'clock', 'logging', 'metrics', 'engine', 'scaling', 'metering', 'selfmanaged', ...ADAPTERS],
  config: ['domain', 'plan', 'logging', 'metrics', 'engine', 'scaling', 'metering', 'api', ...ADAPTERS],
  cli: ['domain', 'render', 'plan', 'forecast', 'observability', 'clock', 'logging', 'metrics', 'engine', 'scaling', 'metering', 'selfmanaged', 'api', 'config', ...ADAPTERS],
};

/**
 * Arrows that break MAY_IMPORT today, each with why it is still here. The list only shrinks: an entry
 * that no longer occurs fails the test, so whoever removes the arrow removes the entry.
 */
const KNOWN_DEBT: Record<string, string> = {};

/** The part of src/ a file belongs to: its top folder (adapters: the adapter), or a root file's name. */
function partOf(file: string): string | undefined {
  const rel = relative(SRC, file).split(sep);
  if (rel[0] === '..') return undefined;
  if (rel.length === 1) return rel[0]!.replace(/\.ts$/, '');
  return rel[0] === 'adapters' ? `adapters/${rel[1]}` : rel[0];
}

/** Relative imports (static, dynamic, `import type` and re-exports) of a file, resolved to paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((i) => i.fileName).filter((f) => f.startsWith('.')).map((f) => resolve(dirname(file), f));
}

interface Arrow { from: string; to: string; where: string }

function arrows(): Arrow[] {
  return sourceFiles(SRC).flatMap((file) => {
    const from = partOf(file)!;
    return importsOf(file).flatMap((target) => {
      const to = partOf(target) ?? `outside src: ${relative(ROOT, target)}`;
      return to === from ? [] : [{ from, to, where: `${relative(ROOT, file)} imports ${relative(ROOT, target)}` }];
    });
  });
}

/** Strongly connected parts with more than one member (Tarjan). */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) { scc.push(w); if (w === v) break; }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

const graphOf = (list: readonly Arrow[]) => {
  const g = new Map<string, Set<string>>();
  for (const a of list) g.set(a.from, (g.get(a.from) ?? new Set()).add(a.to));
  return g;
};

test('the cycle finder finds a cycle between folders and none in a chain', () => {
  const a = (from: string, to: string): Arrow => ({ from, to, where: '' });
  assert.deepEqual(cycles(graphOf([a('render', 'observability'), a('observability', 'render'), a('render', 'domain')])), [['observability', 'render']]);
  assert.deepEqual(cycles(graphOf([a('cli', 'api'), a('api', 'engine'), a('engine', 'domain')])), []);
});

test('MAY_IMPORT is itself a layering: no cycle, every named part exists', () => {
  const drawn = graphOf(Object.entries(MAY_IMPORT).flatMap(([from, tos]) => tos.map((to) => ({ from, to, where: '' }))));
  assert.deepEqual(cycles(drawn), []);
  const parts = new Set(sourceFiles(SRC).map((f) => partOf(f)!));
  const missing = Object.keys(MAY_IMPORT).filter((p) => !parts.has(p));
  assert.deepEqual(missing, [], 'a part in MAY_IMPORT has no files (remove it)');
});

test('every part of src/ has a place in the layers', () => {
  const unplaced = [...new Set(sourceFiles(SRC).map((f) => partOf(f)!))].filter((p) => !(p in MAY_IMPORT));
  assert.deepEqual(unplaced, [], 'give the new part its place (who may import it, what it may import) in MAY_IMPORT');
});

test('every import between parts of src/ runs down an arrow the layers draw', () => {
  const all = arrows();
  assert.ok(all.length > 200, `only ${all.length} imports between parts: the reader is broken`);
  const broken = all.filter((a) => !(MAY_IMPORT[a.from] ?? []).includes(a.to) && !(`${a.from} -> ${a.to}` in KNOWN_DEBT));
  assert.deepEqual(broken.map((a) => `${a.from} -> ${a.to}: ${a.where}`), []);
  const present = new Set(all.map((a) => `${a.from} -> ${a.to}`));
  const paid = Object.keys(KNOWN_DEBT).filter((k) => !present.has(k));
  assert.deepEqual(paid, [], 'this arrow is gone: delete its KNOWN_DEBT entry');
});

test('no cycle between the parts of src/ (beside the KNOWN_DEBT arrows)', () => {
  assert.deepEqual(cycles(graphOf(arrows().filter((a) => !(`${a.from} -> ${a.to}` in KNOWN_DEBT)))), []);
});

test('src/ imports nothing from demo/, bench/, test/ or testbed/; testbed/ uses only adapters and domain from src/', () => {
  const outside = arrows().filter((a) => a.to.startsWith('outside src'));
  assert.deepEqual(outside.map((a) => a.where), []);
  const testbed = sourceFiles(join(ROOT, 'testbed')).flatMap((f) => importsOf(f).map((t) => ({ f, t })))
    .filter(({ t }) => partOf(t) !== undefined && !/^(adapters\/|domain$)/.test(partOf(t)!));
  assert.deepEqual(testbed.map(({ f, t }) => `${relative(ROOT, f)} imports ${relative(ROOT, t)}`), []);
});

/** `process.env` reads in a file: "path:line: text"; PATH and HOME handed to a child process are allowed. */
export function envReads(path: string, text: string): string[] {
  return findings(path, text, (node, file) => {
    if (!ts.isPropertyAccessExpression(node) || node.name.text !== 'env' || !ts.isIdentifier(node.expression) || node.expression.text !== 'process') return undefined;
    const parent = node.parent;
    const inherited = ts.isPropertyAccessExpression(parent) && parent.expression === node && ['PATH', 'HOME'].includes(parent.name.text);
    return inherited ? undefined : parent.getText(file).slice(0, 60);
  });
}

test('the env detector sees settings read from process.env and lets PATH/HOME for children pass', () => {
  const found = envReads('x.ts', [
    "const a = process.env.FLEETPLANE_WORKERS ?? '1';",
    "const b = process.env['FLEETPLANE_LEASE_MS'];",
    'const c = { ...process.env, X: "1" };',
    "const child = { PATH: process.env.PATH ?? '/usr/bin', HOME: process.env.HOME ?? '/tmp' };",
    '// process.env.FLEETPLANE_X in a comment is no read',
  ].join('\n'));
  assert.equal(found.length, 3, found.join('\n'));
});

test('nothing below src/cli reads process.env (configuration is read once in src/config.ts)', () => {
  const below = sourceFiles(SRC).filter((f) => !f.startsWith(join(SRC, 'cli') + sep) && f !== join(SRC, 'config.ts'));
  const reads = below.flatMap((f) => envReads(relative(ROOT, f), readFileSync(f, 'utf8')));
  assert.deepEqual(reads, [], 'read the setting in src/config.ts (FleetplaneConfig) and pass the value down');
});

const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|worker_threads)$|^(pg|@electric-sql\/pglite|@kubernetes\/client-node|simple-git)$/;
/** The services between the core and the edge reach the world only through ports and adapters. */
const SERVICES = ['engine', 'scaling', 'metrics', 'metering'];
/** The one I/O left in a service (ADR 0001): the rollout metric gate queries Prometheus itself. */
const SERVICE_IO_EXCEPTIONS = new Set(['src/engine/rollouts/metric-gate.ts: fetch']);

function ioImport(node: ts.Node): string | undefined {
  if (!ts.isImportDeclaration(node) && !ts.isExportDeclaration(node)) return undefined;
  const from = node.moduleSpecifier;
  if (!from || !ts.isStringLiteral(from) || !IO_MODULES.test(from.text)) return undefined;
  const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly : node.isTypeOnly;
  return typeOnly ? undefined : `import of ${from.text}`;
}

/** `fetch` used as a value: not a member's name (`this.fetch`, `fetch()` methods) nor `typeof fetch`. */
function fetchValue(node: ts.Node): string | undefined {
  if (!ts.isIdentifier(node) || node.text !== 'fetch') return undefined;
  const p = node.parent;
  const isName = 'name' in p && (p as { name?: ts.Node }).name === node;
  return isName || ts.isTypeQueryNode(p) ? undefined : 'fetch';
}

/** I/O in a file: imports of I/O modules, and `fetch` used as a value. */
export function ioUses(path: string, text: string): string[] {
  return findings(path, text, (node) => ioImport(node) ?? fetchValue(node));
}

test('the I/O detector sees I/O imports and fetch, not a method named fetch or typeof fetch', () => {
  const found = ioUses('x.ts', [
    "import { readFileSync } from 'node:fs';",
    "import pg from 'pg';",
    'const r = await fetch(url);',
    'const f = opts.fetchImpl ?? fetch;',
    "import type { Dirent } from 'node:fs';",
    'class H { private async fetch(): Promise<void> {} go() { return this.fetch(); } }',
    'type F = typeof fetch;',
  ].join('\n'));
  assert.deepEqual(found.map((f) => f.replace(/^x\.ts:\d+: /, '')), ['import of node:fs', 'import of pg', 'fetch', 'fetch']);
});

test('engine, scaling, metrics and metering do no I/O of their own (ports and adapters only)', () => {
  const files = SERVICES.flatMap((s) => sourceFiles(join(SRC, s)));
  assert.ok(files.length > 40, `only ${files.length} service files`);
  const all = files.flatMap((f) => ioUses(relative(ROOT, f), readFileSync(f, 'utf8'))).map((u) => u.replace(/:\d+: /, ': '));
  assert.deepEqual(all.filter((u) => !SERVICE_IO_EXCEPTIONS.has(u)), [], 'put the I/O in an adapter (src/adapters/) behind a port, and pass it in');
  assert.deepEqual([...SERVICE_IO_EXCEPTIONS].filter((e) => !all.includes(e)), [], 'this exception is gone: delete it from SERVICE_IO_EXCEPTIONS');
});

test('the pure-core lint rule fires: no I/O, clocks, process or higher floors in domain/render/plan/forecast/observability', async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const cases: Array<[string, string]> = [
    ['src/domain/x.ts', "import { KubeClient } from '../adapters/kube/index.ts';\nexport const k = KubeClient;\n"],
    ['src/render/x.ts', "import { startEngine } from '../engine/index.ts';\nexport const s = startEngine;\n"],
    ['src/plan/x.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n"],
    ['src/forecast/x.ts', 'export const t = Date.now();\n'],
    ['src/observability/x.ts', "export const e = process.env.FLEETPLANE_X;\n"],
    ['src/domain/y.ts', "import { renderEnvironment } from '../render/index.ts';\nexport const r = renderEnvironment;\n"],
    ['src/render/y.ts', "import { x } from '../observability/index.ts';\nexport const y = x;\n"],
    ['src/render/z.ts', "export async function f(): Promise<unknown> { return fetch('http://x'); }\n"],
  ];
  for (const [filePath, code] of cases) {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, filePath) });
    const rules = result!.messages.map((m) => m.ruleId);
    assert.ok(rules.some((r) => r?.startsWith('no-restricted-')), `${filePath}: ${code.trim()} passed the lint (${rules.join(', ')})`);
  }
  const [clean] = await eslint.lintText("import { dnsLabel } from './naming.ts';\nexport const n = dnsLabel;\n", { filePath: join(ROOT, 'src/domain/x.ts') });
  assert.deepEqual(clean!.messages.filter((m) => m.ruleId?.startsWith('no-restricted-')), []);
});

test('docs/adr/README.md lists every ADR with its status', () => {
  const dir = join(ROOT, 'docs/adr');
  const index = readFileSync(join(dir, 'README.md'), 'utf8');
  const records = readdirSync(dir).filter((f) => /^\d{4}-.*\.md$/.test(f));
  assert.ok(records.length > 30, `only ${records.length} ADRs found`);
  const unlisted = records.filter((f) => !new RegExp(`^\\| \\[${f.slice(0, 4)}\\]\\(${f.replace(/[.]/g, '\\.')}\\) \\|.*\\| (accepted|superseded|folded)[^|]*\\|$`, 'm').test(index));
  assert.deepEqual(unlisted, [], 'add a row (ADR, area, decision, status) to docs/adr/README.md');
});
