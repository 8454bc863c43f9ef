// fleetplane metering …: a tenant's hourly usage, corrections and exports (CSV, JSON, OpenMeter
// CloudEvents), and its marketplace billing (admin): the mapping and the export report (what was
// sent with the marketplace's record id, what was refused and why). docs/metering.md.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../client.ts';
import { ctx, enc, readDoc } from '../context.ts';
import { io } from '../io.ts';
import type { Column } from '../output.ts';
import { DIMENSIONS } from '../../domain/metering-dimensions.ts';

interface RecordView { environment: string | null; dimension: string; unit: string; hour: string; quantity: number; state: string; version: number; samples: number }
interface CorrectionView { seq: number; environment: string | null; dimension: string; hour: string; version: number; previousQuantity: number; quantity: number; delta: number; detectedAt: string }
interface ExportView { id: number; hour: string; dimension: string; marketplaceDimension: string; source: string; quantity: number; state: string; attempts: number; requestId: string | null; reason: string | null }

const RECORD_COLUMNS: Array<Column<RecordView>> = [
  ['HOUR', (r) => r.hour.slice(0, 16).replace('T', ' ')], ['ENVIRONMENT', (r) => r.environment ?? '-'], ['DIMENSION', (r) => r.dimension],
  ['QUANTITY', (r) => r.quantity], ['UNIT', (r) => r.unit], ['STATE', (r) => r.state], ['VERSION', (r) => r.version], ['SAMPLES', (r) => r.samples],
];
const CORRECTION_COLUMNS: Array<Column<CorrectionView>> = [
  ['HOUR', (c) => c.hour.slice(0, 16).replace('T', ' ')], ['ENVIRONMENT', (c) => c.environment ?? '-'], ['DIMENSION', (c) => c.dimension],
  ['VERSION', (c) => c.version], ['FROM', (c) => c.previousQuantity], ['TO', (c) => c.quantity], ['DELTA', (c) => c.delta], ['DETECTED', (c) => c.detectedAt],
];
const EXPORT_COLUMNS: Array<Column<ExportView>> = [
  ['ID', (e) => e.id], ['HOUR', (e) => e.hour.slice(0, 16).replace('T', ' ')], ['DIMENSION', (e) => `${e.dimension} -> ${e.marketplaceDimension}`],
  ['SOURCE', (e) => e.source], ['QUANTITY', (e) => e.quantity], ['STATE', (e) => e.state], ['ATTEMPTS', (e) => e.attempts],
  ['RECORD ID', (e) => e.requestId ?? '-'], ['REASON', (e) => (e.reason ?? '').slice(0, 90)],
];

const FORMATS = ['csv', 'json', 'cloudevents'];

async function all<T>(c: ReturnType<typeof ctx>, path: string, query: Record<string, string | number | undefined>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const { body } = await c.client.get<{ items: T[]; next?: string }>(path, { ...query, limit: 500, cursor });
    out.push(...body.items);
    cursor = body.next;
  } while (cursor);
  return out;
}

export default function register(program: Command): void {
  const metering = program.command('metering').alias('usage').description('usage metering and marketplace billing');

  metering.command('usage <tenant>').description("a tenant's hourly usage records")
    .option('--from <time>', 'hours from (RFC 3339)').option('--to <time>', 'hours before (RFC 3339)')
    .option('--dimension <d>', DIMENSIONS.join(', '))
    .option('--env <name>', 'one environment (- for tenant-level dimensions)').option('--state <s>', 'open or final')
    .action(async (tenant: string, o: { from?: string; to?: string; dimension?: string; env?: string; state?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const items = await all<RecordView>(c, `/v1/tenants/${enc(tenant)}/usage`, { from: o.from, to: o.to, dimension: o.dimension, environment: o.env, state: o.state });
      c.print({ items }, items, RECORD_COLUMNS);
    });

  metering.command('corrections <tenant>').description('closed hours changed by late data')
    .action(async (tenant: string, _o: unknown, cmd: Command) => {
      const c = ctx(cmd);
      const items = await all<CorrectionView>(c, `/v1/tenants/${enc(tenant)}/usage/corrections`, {});
      c.print({ items }, items, CORRECTION_COLUMNS);
    });

  metering.command('export <tenant>').description('usage as CSV, JSON or OpenMeter CloudEvents (stdout or --file)')
    .option('--format <f>', 'csv | json | cloudevents', 'csv').option('--from <time>').option('--to <time>').option('--file <path>', 'write here instead of stdout')
    .action(async (tenant: string, o: { format: string; from?: string; to?: string; file?: string }, cmd: Command) => {
      if (!FORMATS.includes(o.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got "${o.format}"`, 2);
      const c = ctx(cmd);
      const { bytes } = await c.client.download(`/v1/tenants/${enc(tenant)}/usage/export`, { format: o.format, from: o.from, to: o.to });
      if (o.file) {
        await writeFile(o.file, bytes);
        io().out(`${o.file}: ${bytes.length} bytes\n`);
      } else io().out(bytes.toString('utf8'));
    });

  const mapping = metering.command('mapping').description("a tenant's marketplace mapping (admin)");
  mapping.command('get <tenant>').action(async (tenant: string, _o: unknown, cmd: Command) => {
    const c = ctx(cmd);
    const { body } = await c.client.get<Record<string, unknown>>(`/v1/tenants/${enc(tenant)}/marketplace`);
    c.print(body, [body], [['MARKETPLACE', (m) => m.marketplace], ['CUSTOMER', (m) => JSON.stringify(m[String(m.marketplace)])], ['DIMENSIONS', (m) => Object.keys(m.dimensions as object).join(',')], ['FROM', (m) => m.startHour]]);
  });
  mapping.command('set <tenant>').requiredOption('-f, --file <file>', 'the mapping (YAML or JSON; - for stdin)')
    .action(async (tenant: string, o: { file: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { body } = await c.client.request<Record<string, unknown>>('PUT', `/v1/tenants/${enc(tenant)}/marketplace`, { body: await readDoc(o.file) });
      c.print(body, [body], [['TENANT', (m) => m.tenant], ['MARKETPLACE', (m) => m.marketplace], ['UPDATED', (m) => m.updatedAt]]);
    });

  metering.command('exports <tenant>').description('what was sent to the marketplace and what was refused (admin)')
    .option('--state <s>', 'pending, sending, sent, refused, skipped, carried, merged')
    .action(async (tenant: string, o: { state?: string }, cmd: Command) => {
      const c = ctx(cmd);
      const { body: first } = await c.client.get<{ summary: Record<string, number> }>(`/v1/tenants/${enc(tenant)}/marketplace/exports`, { limit: 1 });
      const items = await all<ExportView>(c, `/v1/tenants/${enc(tenant)}/marketplace/exports`, { state: o.state });
      c.print({ summary: first.summary, items }, items, EXPORT_COLUMNS);
      if (c.format === 'table') io().out(`\n${Object.entries(first.summary).map(([k, v]) => `${k}=${v}`).join(' ') || 'nothing exported yet'}\n`);
    });
}
