// One Schemathesis pass over every operation of a real `serve` (test/fuzz/fixture.ts) on its own
// embedded store: the three passes (tenant, cross-tenant, admin) are three test files, each with its
// own server, so the runner schedules them on different lanes and no pass's writes can disturb
// another's witness. Config: test/fuzz/schemathesis.toml (every built-in check, fixed seed and
// example count); our own checks: test/fuzz/hooks.py.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFuzzServer, type FuzzServer } from './fixture.ts';
import { counts } from '../helpers/api-harness.ts';

const FUZZ_DIR = import.meta.dirname;
const BASE_CONFIG = readFileSync(join(FUZZ_DIR, 'schemathesis.toml'), 'utf8');

function schemathesisBin(): string {
  const bin = process.env.SCHEMATHESIS_BIN;
  assert.ok(bin, 'SCHEMATHESIS_BIN is not set: run eval "$(bash scripts/schemathesis.sh ensure)" first (scripts/test.sh does)');
  return bin;
}

export interface Pass { name: string; token: string; parameters?: Record<string, string>; maxExamples?: number; positiveOnly?: boolean; env?: Record<string, string> }

interface RunResult { code: number | null; out: string; seconds: number }

export type PassResult = RunResult & { seen: (check: string) => number; tested: number };

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
export function report(out: string): string {
  const failures = out.indexOf('FAILURES');
  const text = failures >= 0 ? out.slice(failures) : out.slice(-8000);
  return text.length > 24_000 ? `${text.slice(0, 16_000)}\n…\n${text.slice(-8_000)}` : text;
}

/**
 * Starts the fuzz server and its witness (what hooks.py's nothing_written_on_refusal compares
 * around every refused write: the store's row counts and latest change event) before the file's
 * tests, stops both after. `server()` is the running server; `fuzz(pass)` runs one pass.
 */
export function fuzzServer(): { server: () => FuzzServer; fuzz: (pass: (s: FuzzServer) => Pass) => Promise<PassResult> } {
  let server: FuzzServer | undefined;
  let witness: Server | undefined;
  let witnessUrl = '';
  const work = mkdtempSync(join(tmpdir(), 'fp-schemathesis-'));
  before(async () => {
    schemathesisBin();
    const s = await startFuzzServer();
    server = s;
    witness = createServer((_req, res) => {
      void (async () => ({ ...(await counts(s.store)), latestChange: await s.store.changes.latest() }))().then(
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
  const running = (): FuzzServer => {
    assert.ok(server, 'the fuzz server is not started');
    return server;
  };

  async function fuzz(make: (s: FuzzServer) => Pass): Promise<PassResult> {
    const s = running();
    const pass = make(s);
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
      FP_FUZZ_OWN_TOKENS: [s.adminTokenId, s.alpha.tokenId].join(','),
      FP_FUZZ_WITNESS: witnessUrl,
      // Nothing from the run lands in the checkout (Schemathesis and Hypothesis write to the cwd).
      HYPOTHESIS_STORAGE_DIRECTORY: join(work, 'hypothesis'), NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false',
    };
    const args = ['--config-file', config, 'run', `${s.url}/openapi.json`, '-H', `Authorization: Bearer ${pass.token}`,
      '--report', 'junit', '--report-dir', join(work, `report-${pass.name}`)];
    const r = await run(schemathesisBin(), args, env, work);
    process.stderr.write(`schemathesis ${pass.name}: exit ${r.code} in ${r.seconds}s; ${r.out.match(/Test cases:\n\s+(.*)/)?.[1] ?? ''}\n`);
    const seen = (check: string) => { try { return readFileSync(join(seenDir, check), 'ascii').length; } catch { return 0; } };
    return { ...r, seen, tested: Number(r.out.match(/Tested: (\d+)/)?.[1] ?? 0) };
  }

  return { server: running, fuzz };
}
