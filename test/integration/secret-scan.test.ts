// gitleaks (built from its Go module by scripts/gitleaks.sh) over the working tree and the git
// history: no secret in any file of the repository, nor in any commit reachable from HEAD. Test fixtures that look like secrets are allowlisted in .gitleaks.toml,
// each entry with the reason it is not a secret. A planted credential proves the scan really looks.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = join(ROOT, '.gitleaks.toml');
const run = promisify(execFile);

interface Finding { RuleID: string; File: string; StartLine: number; Description: string; Commit?: string }

function gitleaks(): string {
  const bin = process.env.GITLEAKS_BIN;
  assert.ok(bin, 'GITLEAKS_BIN is not set: run eval "$(bash scripts/gitleaks.sh ensure)" first (scripts/test.sh does)');
  return bin;
}

/** Scans `dir` with the repository's config; findings as gitleaks reports them (secrets redacted). */
async function scan(dir: string, work: string, mode: 'dir' | 'git' = 'dir'): Promise<{ code: number; findings: Finding[]; log: string }> {
  const report = join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const args = [mode, dir, '--config', CONFIG, '--report-format', 'json', '--report-path', report, '--redact', '--no-banner', '--no-color', '--exit-code', '3', '--log-level', 'warn'];
  let code = 0;
  let log = '';
  try {
    const r = await run(gitleaks(), args, { maxBuffer: 16 << 20, timeout: 600_000 });
    log = r.stderr + r.stdout;
  } catch (err) {
    const e = err as { code?: number; stderr?: string; stdout?: string };
    code = typeof e.code === 'number' ? e.code : 1;
    log = (e.stderr ?? '') + (e.stdout ?? '');
  }
  return { code, findings: JSON.parse(readFileSync(report, 'utf8')) as Finding[], log };
}

describe('secret scan (gitleaks)', () => {
  const work = mkdtempSync(join(tmpdir(), 'fp-gitleaks-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the repository holds no secret', async () => {
    const r = await scan(ROOT, work);
    const list = r.findings.map((f) => `${f.File.replace(`${ROOT}/`, '')}:${f.StartLine} ${f.RuleID} (${f.Description})`).join('\n');
    assert.equal(r.findings.length, 0, `gitleaks found:\n${list}\n(a real secret: remove it and rotate it; a fixture: allowlist it in .gitleaks.toml with the reason)`);
    assert.equal(r.code, 0, r.log);
  });

  test('no commit reachable from HEAD holds a secret', { skip: !existsSync(join(ROOT, '.git')) && 'not a git checkout' }, async () => {
    const r = await scan(ROOT, work, 'git');
    const list = r.findings.map((f) => `${f.Commit?.slice(0, 12)} ${f.File}:${f.StartLine} ${f.RuleID} (${f.Description})`).join('\n');
    assert.equal(r.findings.length, 0, `gitleaks found in the history:\n${list}`);
    assert.equal(r.code, 0, r.log);
  });

  test('a planted credential is found (the scan is real, the allowlist is not a blanket)', async () => {
    const dir = mkdtempSync(join(work, 'planted-'));
    // Assembled at run time, so this file itself holds no key-shaped string.
    const key = ['AKIA', 'Z7QX3M5N2P4R6TKV'].join('');
    const secret = ['wJalrXUtnFEMI', 'K7MDENGbPxRfiCYzQ9mT4vB2nL8s'].join('/');
    writeFileSync(join(dir, 'deploy.env'), `AWS_ACCESS_KEY_ID=${key}\nAWS_SECRET_ACCESS_KEY=${secret}\n`);
    const r = await scan(dir, work);
    assert.equal(r.code, 3, r.log);
    assert.ok(r.findings.some((f) => f.RuleID === 'aws-access-token'), JSON.stringify(r.findings));
  });
});
