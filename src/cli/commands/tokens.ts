// fleetplane tokens create|list|revoke (admin)
import type { Command } from 'commander';
import { ctx, enc } from '../context.ts';
import { age, type Column } from '../output.ts';
import { io } from '../io.ts';

interface TokenView { id: string; name: string; role: string; tenant: string | null; createdAt: string }

const COLUMNS: Array<Column<TokenView>> = [
  ['ID', (t) => t.id], ['NAME', (t) => t.name], ['ROLE', (t) => t.role], ['TENANT', (t) => t.tenant], ['AGE', (t) => age(t.createdAt)],
];

function printCreated(c: ReturnType<typeof ctx>, created: { token: TokenView; secret: string }): void {
  if (c.format !== 'table') return c.print(created, [], COLUMNS);
  c.print(created, [created.token], COLUMNS);
  io().out(`\nsecret (shown once): ${created.secret}\n`);
}

export default function register(program: Command): void {
  const tokens = program.command('tokens').alias('token').description('API tokens (admin)');

  tokens.command('create').description('create a token; prints its secret once')
    .requiredOption('--name <name>').option('--role <role>', 'admin | tenant-admin | tenant-viewer', 'tenant-viewer').option('--tenant <slug>')
    .option('--idempotency-key <key>', 'a retry with the same key returns the same token and secret (for 24 h)')
    .action(async (o: { name: string; role: string; tenant?: string; idempotencyKey?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const body = { name: o.name, role: o.role, ...(o.tenant ? { tenant: o.tenant } : {}) };
      const { body: created } = await c.client.request<{ token: TokenView; secret: string }>('POST', '/v1/tokens', { body, headers });
      printCreated(c, created);
    });

  tokens.command('list').description('list tokens').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: TokenView[] }>('/v1/tokens');
    c.print(body, body.items, COLUMNS);
  });

  tokens.command('revoke <id>').alias('delete').description('revoke a token').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    await c.client.request('DELETE', `/v1/tokens/${enc(id)}`);
    io().out(`token/${id} revoked\n`);
  });
}
