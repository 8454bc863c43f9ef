// Schemathesis (an outside, schema-driven fuzzer: scripts/schemathesis.sh) over every operation of
// the served OpenAPI document, against a real `serve` on the embedded store (test/fuzz/fixture.ts).
// Config: test/fuzz/schemathesis.toml (every built-in check, fixed seed and example count); our own
// checks: test/fuzz/hooks.py. Three passes on one server:
//   tenant  tenant-admin of fz-alpha, path parameters tenant=fz-alpha env=prod (its real resources)
//   cross   fz-alpha's token at fz-beta's paths: 403/404 only, and no answer carries fz-beta's data
//   admin   the admin token, every parameter generated (validation, 404s, creations, 405s)
// Each asserts: no 5xx, every status and content type declared, response schemas conform, schema-
// violating input refused, every 4xx problem+json naming the field (400/422), auth not ignored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFuzzServer, type FuzzServer } from '../fuzz/fixture.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { counts } from '../helpers/api-harness.ts';

const FUZZ_DIR = join(import.meta.dirname, '..', 'fuzz');
const BASE_CONFIG = readFileSync(join(FUZZ_DIR, 'schemathesis.toml'), 'utf8');

function schemathesisBin(): string {
  const bin = process.env.SCHEMATHESIS_BIN;
  assert.ok(bin, 'SCHEMATHESIS_BIN is not set: run eval "$(bash scripts/schemathesis.sh ensure)" first (scripts/test.sh does)');
  return bin;
}

interface Pass { name: string; token: string; parameters?: Record<string, string>; maxExamples?: number; positiveOnly?: boolean; env?: Record<string, string> }

interface RunResult { code: number | null; out: string; seconds: number }

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

/** The part of Schemathesis's output a person needs: failures and the summary (bounded). */
function report(out: string): string {
  const failures = out.indexOf('FAILURES');
  const text = failures >= 0 ? out.slice(failures) : out.slice(-8000);
  return text.length > 24_000 ? `${text.slice(0, 16_000)}\n…\n${text.slice(-8_000)}` : text;
}

describe('Schemathesis over every route', () => {
  let server: FuzzServer;
  const work = mkdtempSync(join(tmpdir(), 'fp-schemathesis-'));

  // The witness: what hooks.py's nothing_written_on_refusal compares around every refused write.
  let witness: Server | undefined;
  let witnessUrl = '';
  before(async () => {
    schemathesisBin();
    server = await startFuzzServer();
    witness = createServer((_req, res) => {
      void (async () => ({ ...(await counts(server.store)), latestChange: await server.store.changes.latest() }))().then(
        (w) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(w)),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => witness!.listen(0, '127.0.0.1', resolve));
    witnessUrl = `http://127.0.0.1:${(witness.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => (witness ? witness.close(resolve) : resolve(undefined)));
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function fuzz(pass: Pass): Promise<RunResult & { seen: (check: string) => number }> {
    const params = Object.entries(pass.parameters ?? {}).map(([k, v]) => `"path.${k}" = ${JSON.stringify(v)}`).join('\n');
    let text = BASE_CONFIG;
    if (pass.maxExamples) text = text.replace(/^max-examples = \d+$/m, `max-examples = ${pass.maxExamples}`);
    if (pass.positiveOnly) text = text.replace(/^\[generation\]$/m, '[generation]\nmode = "positive"');
    const config = join(work, `${pass.name}.toml`);
    writeFileSync(config, `${text}\n${params ? `[parameters]\n${params}\n` : ''}`);
    const seenDir = mkdtempSync(join(work, `seen-${pass.name}-`));
    const env = {
      ...process.env, ...pass.env,
      FP_FUZZ_HOOKS: join(FUZZ_DIR, 'hooks.py'), FP_FUZZ_SEEN: seenDir,
      // The tokens the passes run with: never revoked or rotated by the run itself (hooks.py).
      FP_FUZZ_OWN_TOKENS: [server.adminTokenId, server.alpha.tokenId].join(','),
      FP_FUZZ_WITNESS: witnessUrl,
      // Nothing from the run lands in the checkout (Schemathesis and Hypothesis write to the cwd).
      HYPOTHESIS_STORAGE_DIRECTORY: join(work, 'hypothesis'), NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false',
    };
    const args = ['--config-file', config, 'run', `${server.url}/openapi.json`, '-H', `Authorization: Bearer ${pass.token}`,
      '--report', 'junit', '--report-dir', join(work, `report-${pass.name}`)];
    const r = await run(schemathesisBin(), args, env, work);
    process.stderr.write(`schemathesis ${pass.name}: exit ${r.code} in ${r.seconds}s; ${r.out.match(/Test cases:\n\s+(.*)/)?.[1] ?? ''}\n`);
    const seen = (check: string) => { try { return readFileSync(join(seenDir, check), 'ascii').length; } catch { return 0; } };
    return { ...r, seen };
  }

  function tested(out: string): number {
    return Number(out.match(/Tested: (\d+)/)?.[1] ?? 0);
  }

  test('tenant-admin on its own tenant: every answer declared, no 5xx, refusals named', async () => {
    const r = await fuzz({ name: 'tenant', token: server.alpha.token, parameters: { tenant: server.alpha.slug, env: 'prod' }, maxExamples: 5 });
    assert.equal(r.code, 0, report(r.out));
    assert.ok(r.seen('problem_json_names_the_field') > 500, 'hooks.py judged the answers');
    assert.ok(tested(r.out) >= 85, `operations tested: ${tested(r.out)}\n${report(r.out)}`);
  });

  test("cross-tenant: fz-alpha's token at fz-beta's paths gets 403/404, never fz-beta's data", async () => {
    const { beta } = server;
    const r = await fuzz({
      name: 'cross', token: server.alpha.token, parameters: { tenant: beta.slug, env: 'prod' },
      // Valid requests only: the point is what a well-formed foreign request gets back.
      positiveOnly: true, maxExamples: 5,
      env: { FP_FUZZ_FOREIGN: beta.slug, FP_FUZZ_FOREIGN_MARKERS: [`${beta.slug} Inc`, `${beta.slug}-config`, beta.tokenId, beta.operation, `${beta.slug}-prod`].join(',') },
    });
    assert.equal(r.code, 0, report(r.out));
    assert.ok(tested(r.out) >= 85, `operations tested: ${tested(r.out)}\n${report(r.out)}`);
    assert.ok(r.seen('cross_tenant') > 200, `the cross-tenant check judged ${r.seen('cross_tenant')} answers`);
  });

  test('admin, every parameter generated: no 5xx, every answer declared, bad input refused and named', async () => {
    const r = await fuzz({ name: 'admin', token: server.adminToken });
    assert.equal(r.code, 0, report(r.out));
    assert.ok(r.seen('problem_json_names_the_field') > 1000, 'hooks.py judged the answers');
    assert.ok(r.seen('nothing_written_on_refusal') > 300, `refused writes checked against the store: ${r.seen('nothing_written_on_refusal')}`);
    assert.ok(tested(r.out) >= 90, `operations tested: ${tested(r.out)}\n${report(r.out)}`);
  });
});
