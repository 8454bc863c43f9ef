// The served OpenAPI document (/openapi.json), judged by an outside linter: Redocly CLI (pinned in
// package.json) with the repository's redocly.yaml (`recommended-strict` plus more rules, all errors).
// Zero errors and zero warnings, and no rule in the config that the linter does not know.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { harness, type Harness } from '../helpers/api-harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const CONFIG = join(ROOT, 'redocly.yaml');
const run = promisify(execFile);

interface LintResult { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>; stderr: string; code: number }

async function lint(file: string): Promise<LintResult> {
  // No telemetry and no update check: the linter runs offline, as every outside validator here does.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  const args = [REDOCLY, 'lint', file, '--config', CONFIG, '--format', 'json', '--max-problems', '10000'];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env, maxBuffer: 64 << 20, timeout: 120_000 });
    return { ...JSON.parse(stdout), stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (!e.stdout) throw err;
    return { ...JSON.parse(e.stdout), stderr: e.stderr ?? '', code: e.code ?? 1 };
  }
}

const summary = (r: LintResult) => r.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`).join('\n');

describe('OpenAPI document under Redocly CLI lint', () => {
  let h: Harness;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let doc: any;
  const dir = mkdtempSync(join(tmpdir(), 'fp-openapi-lint-'));
  before(async () => {
    h = await harness('embedded');
    doc = (await h.req('GET', '/openapi.json', { token: null })).body;
  });
  after(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the served document has no errors and no warnings', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const r = await lint(file);
    assert.equal(r.totals.errors, 0, summary(r));
    assert.equal(r.totals.warnings, 0, summary(r));
    assert.equal(r.code, 0, r.stderr);
    // A misspelt rule in redocly.yaml is only a config warning: it must not slip through as "valid".
    assert.doesNotMatch(r.stderr, /Unused rules|Your config has/, r.stderr);
  });

  test('the linter is really judging: a duplicated operationId and a 4XX without problem+json are errors', async () => {
    const bad = structuredClone(doc);
    bad.paths['/v1/tenants'].get.operationId = bad.paths['/v1/tenants'].post.operationId;
    const refusal = bad.paths['/v1/audit'].get.responses['4XX'];
    refusal.content = { 'application/json': refusal.content['application/problem+json'] };
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = await lint(file);
    assert.notEqual(r.code, 0);
    assert.deepEqual([...new Set(r.problems.map((p) => p.ruleId))].sort(), ['operation-4xx-problem-details-rfc7807', 'operation-operationId-unique']);
  });

  test('operationIds are unique and derived from method and path', () => {
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) => Object.values(item).map((op) => op.operationId));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(doc.paths['/v1/tenants/{tenant}/environments/{env}:patch'].post.operationId, 'postV1TenantsTenantEnvironmentsEnvPatch');
    assert.equal(doc.paths['/'].get.operationId, 'getRoot');
  });
});
