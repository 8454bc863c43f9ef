// Shared by the metering tests: a controllable clock, seeding finalized hours through the real
// metering store (samples and API counts), and an exporter wired to given transports.
import type { Harness } from '../helpers/api-harness.ts';
import { DEFAULT_EXPORT_CONFIG, type ExportConfig } from '../../src/metering/export/config.ts';
import { Exporter, type ExporterOptions } from '../../src/metering/export/exporter.ts';
import type { MarketplaceTransports } from '../../src/adapters/marketplace/types.ts';

export const H = 3_600_000;
export const GRACE = 5 * 60_000;

export class TestClock {
  constructor(public ms: number) {}
  now = (): Date => new Date(this.ms);
  set(d: Date | number): void { this.ms = typeof d === 'number' ? d : d.getTime(); }
  advance(ms: number): void { this.ms += ms; }
}

/** One environment sampled every 10 minutes of each hour with `cpuMillis`, 1 GiB, plus `requests` API requests per hour. */
export async function seedHours(h: Harness, tenant: string, firstHour: number, hours: number, o: { cpuMillis?: number; requests?: number; env?: string } = {}): Promise<void> {
  const { metering } = h.store;
  for (let i = 0; i < hours; i++) {
    const hour = firstHour + i * H;
    const samples = Array.from({ length: 6 }, (_, k) => ({
      tenant, environment: o.env ?? 'prod', at: new Date(hour + k * 600_000), seconds: 600, cluster: 'c1', namespace: `${tenant}-prod`,
      pods: 2, cpuMillis: o.cpuMillis ?? 1500, memoryBytes: 2 * 2 ** 30, gpus: 0,
    }));
    await metering.recordSamples(samples, 'seed', new Date(hour + H));
    await metering.addApiRequests(`seed-${tenant}-${hour}`, [{ tenant, hour: new Date(hour), requests: o.requests ?? 40 + i }], new Date(hour + H));
  }
}

export async function closeHours(h: Harness, at: Date): Promise<void> {
  await h.store.metering.refresh(at, GRACE);
}

export function exporter(h: Harness, clock: TestClock, transports: MarketplaceTransports, o: { config?: Partial<ExportConfig>; owner?: string; afterSend?: ExporterOptions['afterSend'] } = {}): Exporter {
  return new Exporter({
    exports: h.store.meteringExports, transports, config: { ...DEFAULT_EXPORT_CONFIG, ...o.config }, now: clock.now, owner: o.owner ?? 'exporter-1',
    ...(o.afterSend ? { afterSend: o.afterSend } : {}),
  });
}

export async function createTenant(h: Harness, slug: string): Promise<void> {
  const r = await h.req('POST', '/v1/tenants', { body: { slug, name: `${slug} Inc`, tier: 'shared', environments: [] } });
  if (r.status !== 201) throw new Error(`tenant ${slug}: ${r.status} ${JSON.stringify(r.body)}`);
}

export const ALL_DIMENSIONS_MAPPED = {
  'environment-hours': { name: 'environments' }, 'cpu-core-hours': { name: 'cpu', scale: 1000 },
  'memory-gib-hours': { name: 'memory', scale: 1000 }, 'gpu-hours': { name: 'gpu' }, 'api-requests': { name: 'requests' },
};

export class Crash extends Error {}
