// fleetplane tokens create|list|revoke|rotate (rotate: admin, or a tenant-admin for its own tenant's tokens)
import type { Command } from 'commander';
import { ctx, enc } from '../context.ts';
import { age, type Column } from '../output.ts';
import { io } from '../io.ts';
import { CliError } from '../client.ts';
import { parseDuration } from '../../config.ts';

interface TokenView { id: string; name: string; role: string; tenant: string | null; createdAt: string; expiresAt?: string | null }

const COLUMNS: Array<Column<TokenView>> = [
  ['ID', (t) => t.id], ['NAME', (t) => t.name], ['ROLE', (t) => t.role], ['TENANT', (t) => t.tenant], ['AGE', (t) => age(t.createdAt)],
  ['EXPIRES', (t) => t.expiresAt ?? 'never'],
];

/** "30d", "12h", "90" (seconds here, unlike the ms of server durations) -> whole seconds; a bad value is a one-line error. */
export function durationSeconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : parseDuration(v);
  if (ms === undefined || ms < 0) throw new CliError(`${flag} must be a duration (90, 30s, 5m, 12h, 30d), got "${v}"`, 2);
  return Math.floor(ms / 1000);
}

function printCreated(c: ReturnType<typeof ctx>, created: { token: TokenView; secret: string }): void {
  if (c.format !== 'table') return c.print(created, [], COLUMNS);
  c.print(created, [created.token], COLUMNS);
  io().out(`\nsecret (shown once): ${created.secret}\n`);
}

export default function register(program: Command): void {
  const tokens = program.command('tokens').alias('token').description('API tokens (admin)');

  tokens.command('create').description('create a token; prints its secret once')
    .requiredOption('--name <name>').option('--role <role>', 'admin | tenant-admin | tenant-viewer', 'tenant-viewer').option('--tenant <slug>')
    .option('--ttl <duration>', 'the token expires after this (e.g. 30d; default: the server\'s maximum, or never)')
    .option('--idempotency-key <key>', 'a retry with the same key returns the same token and secret (for 24 h)')
    .action(async (o: { name: string; role: string; tenant?: string; ttl?: string; idempotencyKey?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const ttlSeconds = durationSeconds('--ttl', o.ttl);
      const body = { name: o.name, role: o.role, ...(o.tenant ? { tenant: o.tenant } : {}), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) };
      const { body: created } = await c.client.request<{ token: TokenView; secret: string }>('POST', '/v1/tokens', { body, headers });
      printCreated(c, created);
    });

  tokens.command('list').description('list tokens').action(async (_o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<{ items: TokenView[] }>('/v1/tokens');
    c.print(body, body.items, COLUMNS);
  });

  tokens.command('rotate <id>').description('give a token a new secret (printed once); the old one works for --grace, then stops')
    .option('--grace <duration>', 'how long the old secret keeps working (e.g. 10m; default 0: it stops now)')
    .option('--ttl <duration>', 'the new secret expires after this (default: the server\'s maximum, or never)')
    .option('--idempotency-key <key>', 'a retry with the same key returns the same new secret (for 24 h)')
    .action(async (id: string, o: { grace?: string; ttl?: string; idempotencyKey?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const [graceSeconds, ttlSeconds] = [durationSeconds('--grace', o.grace), durationSeconds('--ttl', o.ttl)];
      const body = { ...(graceSeconds !== undefined ? { graceSeconds } : {}), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) };
      const { body: rotated } = await c.client.request<{ token: TokenView; secret: string }>('POST', `/v1/tokens/${enc(id)}:rotate`, { body, headers });
      printCreated(c, rotated);
    });

  tokens.command('revoke <id>').alias('delete').description('revoke a token').action(async (id: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    await c.client.request('DELETE', `/v1/tokens/${enc(id)}`);
    io().out(`token/${id} revoked\n`);
  });
}
