// Runs a short-lived command and returns its stdout; failures carry the tail of stderr.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString());
      const tail = Buffer.concat(err).toString().trim().split('\n').slice(-15).join('\n');
      reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} … exited ${code}: ${tail}`));
    });
    child.stdin.end(opts.input ?? '');
  });
}
