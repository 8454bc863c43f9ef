// fleetplane tenants list|get|create|delete
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { collect, ctx, enc, intFlag, keyValues, readDoc } from '../context.ts';
import { age, type Column } from '../output.ts';
import { OPERATION_COLUMNS, type OperationView } from './ops.ts';
import { io } from '../io.ts';

interface TenantView { slug: string; name: string; tier: string; channel: string; region?: string; labels: Record<string, string>; createdAt: string }

const COLUMNS: Array<Column<TenantView>> = [
  ['SLUG', (t) => t.slug], ['NAME', (t) => t.name], ['TIER', (t) => t.tier], ['CHANNEL', (t) => t.channel],
  ['REGION', (t) => t.region], ['LABELS', (t) => t.labels], ['AGE', (t) => age(t.createdAt)],
];

/** --env name:type:blueprint@version (values come from -f when needed). */
export function parseEnvFlag(s: string) {
  const m = /^([^:]+):([^:]+):([^@]+)@(.+)$/.exec(s);
  if (!m) throw new CliError(`--env expects name:type:blueprint@version, got "${s}"`, 2);
  return { name: m[1]!, type: m[2]!, blueprint: m[3]!, version: m[4]!, values: {} };
}

interface CreateFlags { file?: string; slug?: string; name?: string; tier?: string; channel?: string; region?: string; label?: string[]; env?: string[]; idempotencyKey?: string }

async function createBody(o: CreateFlags): Promise<Record<string, unknown>> {
  if (o.file) return readDoc(o.file);
  const missing = (['slug', 'name', 'tier'] as const).filter((k) => !o[k]);
  if (missing.length > 0) throw new CliError(`missing --${missing.join(', --')} (or give -f tenant.yaml)`, 2);
  const body: Record<string, unknown> = { slug: o.slug, name: o.name, tier: o.tier };
  if (o.channel) body.channel = o.channel;
  if (o.region) body.region = o.region;
  if (o.label) body.labels = keyValues(o.label, '--label');
  if (o.env) body.environments = o.env.map(parseEnvFlag);
  return body;
}

export default function register(program: Command): void {
  const tenants = program.command('tenants').alias('tenant').description('customers (tenants)');

  tenants.command('list').description('list tenants').option('--limit <n>', 'page size', intFlag('--limit')).option('--cursor <c>', 'page cursor')
    .action(async (o: { limit?: number; cursor?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.get<{ items: TenantView[]; next?: string }>('/v1/tenants', { limit: o.limit, cursor: o.cursor });
      c.print(body, body.items, COLUMNS);
      if (body.next && c.format === 'table') io().err(`more: --cursor ${body.next}\n`);
    });

  tenants.command('get <slug>').description('show one tenant').action(async (slug: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<TenantView>(`/v1/tenants/${enc(slug)}`);
    c.print(body, [body], COLUMNS);
  });

  tenants.command('create').description('create a tenant and start onboarding its environments')
    .option('-f, --file <file>', 'tenant document (YAML or JSON; "-" for stdin)')
    .option('--slug <slug>').option('--name <name>').option('--tier <tier>', 'shared | dedicated | hybrid')
    .option('--channel <channel>', 'saas | self-managed').option('--region <region>')
    .option('--label <k=v>', 'label (repeatable)', collect).option('--env <name:type:blueprint@version>', 'environment (repeatable)', collect)
    .option('--idempotency-key <key>', 'makes a retried create safe')
    .action(async (o: CreateFlags, cmd: Command) => {
      const c = ctx(cmd);
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
      const { body } = await c.client.request<{ tenant: TenantView; operations: OperationView[] }>('POST', '/v1/tenants', { body: await createBody(o), headers });
      if (c.format !== 'table') return c.print(body, [], COLUMNS);
      io().out(`tenant/${body.tenant.slug} created\n`);
      if (body.operations.length > 0) c.print(body, body.operations, OPERATION_COLUMNS);
    });

  tenants.command('delete <slug>').alias('offboard').description('offboard a tenant (starts an offboard operation)').action(async (slug: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.request<OperationView>('DELETE', `/v1/tenants/${enc(slug)}`);
    c.print(body, [body], OPERATION_COLUMNS);
  });
}
