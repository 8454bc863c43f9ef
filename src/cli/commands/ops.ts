// fleetplane ops list|get|wait
import type { Command } from 'commander';
import { CliError, type ApiClient } from '../client.ts';
import { ctx, enc, intFlag } from '../context.ts';
import { age, type Column } from '../output.ts';
import { io } from '../io.ts';

export interface OperationView {
  id: string; kind: string; tenant: string; environment?: string | null; state: string;
  steps: Array<{ name: string; state: string; attempts: number; error?: string | null }>;
  attempts: number; error?: string | null; createdAt: string;
}

export const OPERATION_COLUMNS: Array<Column<OperationView>> = [
  ['ID', (o) => o.id], ['KIND', (o) => o.kind], ['TENANT', (o) => o.tenant], ['ENV', (o) => o.environment],
  ['STATE', (o) => o.state], ['STEPS', (o) => stepSummary(o)], ['AGE', (o) => age(o.createdAt)],
];

export function stepSummary(o: OperationView): string {
  const done = o.steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length;
  const current = o.steps.find((s) => s.state === 'running' || s.state === 'waiting' || s.state === 'failed') ?? o.steps.find((s) => s.state === 'pending');
  const waiting = current?.state === 'waiting' ? ' (waiting)' : '';
  return `${done}/${o.steps.length}${current && o.state !== 'succeeded' ? ` ${current.name}${waiting}` : ''}`;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Polls until the operation ends; draws one live line on a TTY. */
export async function waitFor(client: ApiClient, id: string, opts: { timeoutMs: number; intervalMs?: number; tty?: boolean }): Promise<OperationView> {
  const deadline = Date.now() + opts.timeoutMs;
  const tty = opts.tty ?? io().isTTY;
  for (;;) {
    const { body: op } = await client.get<OperationView>(`/v1/operations/${enc(id)}`);
    const line = `${op.kind} ${op.tenant}${op.environment ? `/${op.environment}` : ''}: ${op.state} [${stepSummary(op)}]`;
    if (tty) io().err(`\r\x1b[2K${line}`);
    if (TERMINAL.has(op.state)) {
      if (tty) io().err('\n');
      return op;
    }
    if (Date.now() > deadline) {
      if (tty) io().err('\n');
      throw new CliError(`timed out waiting for operation ${id} (still ${op.state})`, 4);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}

export default function register(program: Command): void {
  const ops = program.command('ops').alias('operations').description('operations (durable workflow runs)');

  ops.command('list').description('list operations, newest first')
    .option('--tenant <slug>').option('--environment <env>').option('--state <state>', 'pending | running | succeeded | failed | cancelled')
    .option('--limit <n>', 'page size', intFlag('--limit')).option('--cursor <c>', 'page cursor')
    .action(async (o: Record<string, string | number | undefined>, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.get<{ items: OperationView[]; next?: string }>('/v1/operations', o);
      c.print(body, body.items, OPERATION_COLUMNS);
    });

  ops.command('get <id>').description('show one operation with its steps').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<OperationView>(`/v1/operations/${enc(id)}`);
    c.print(body, body.steps.map((s) => ({ ...s, op: body })), [
      ['STEP', (s) => s.name], ['STATE', (s) => s.state], ['ATTEMPTS', (s) => s.attempts], ['ERROR', (s) => s.error],
    ]);
  });

  ops.command('wait <id>').description('wait for an operation to finish (exit 1 when it failed)')
    .option('--timeout <seconds>', 'give up after this long (exit 4)', intFlag('--timeout'), 600)
    .action(async (id: string, o: { timeout: number }, cmd: Command) => {
      const c = ctx(cmd);
      const op = await waitFor(c.client, id, { timeoutMs: o.timeout * 1000 });
      c.print(op, [op], OPERATION_COLUMNS);
      if (op.state !== 'succeeded') throw new CliError(`operation ${id} ${op.state}${op.error ? `: ${op.error}` : ''}`, 1);
    });
}
