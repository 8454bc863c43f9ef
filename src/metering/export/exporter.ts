// The exporter: one pass plans export rows from finalized records and corrections, then sends every
// due row to its marketplace. Rows are leased (claim), their exact payload is stored before the
// call (write-ahead), the outcome is stored after it. A crash between call and record leaves the row
// leased; after the lease the next pass sends the identical payload, which each marketplace treats
// as the same record (AWS: same MeteringRecordId; Azure: 409/Duplicate; Google: same operationId).
import type { Logger } from 'pino';
import { MarketplaceCallError, type MarketplaceTransports } from '../../adapters/marketplace/types.ts';
import { awsModule } from './aws.ts';
import { azureModule } from './azure.ts';
import { retryDelayMs, type ExportConfig } from './config.ts';
import { gcpModule } from './gcp.ts';
import type { MarketplaceModule, Sendable } from './marketplace.ts';
import type { Marketplace, MarketplaceMapping } from './mapping.ts';
import type { ExportRow, ExportStore, Outcome, PlanResult } from './types.ts';

export interface ExporterOptions {
  exports: ExportStore;
  transports: MarketplaceTransports;
  config: ExportConfig;
  now: () => Date;
  /** This exporter's lease owner id (unique per process). */
  owner: string;
  logger?: Logger;
  /** Test hook: runs after a call returned and before its outcome is stored (a crash here loses only the outcome). */
  afterSend?: (marketplace: Marketplace, rows: Sendable[], outcomes: Outcome[]) => void | Promise<void>;
}

export interface ExportPassResult {
  planned: PlanResult;
  calls: number;
  sent: number;
  refused: number;
  retrying: number;
  /** Groups left for later, with why (no transport configured in this process, no mapping). */
  waiting: Array<{ tenant: string; marketplace: Marketplace; reason: string }>;
}

/** Bounds one pass (a backlog drains over several). */
const MAX_CALLS_PER_PASS = 200;

export class Exporter {
  private readonly modules: Partial<Record<Marketplace, MarketplaceModule>>;

  constructor(private readonly o: ExporterOptions) {
    const { transports: t, config: c } = o;
    this.modules = {
      ...(t.aws ? { aws: awsModule(t.aws, c.limits.aws) } : {}),
      ...(t.azure ? { azure: azureModule(t.azure, c.limits.azure) } : {}),
      ...(t.gcp ? { gcp: gcpModule(t.gcp, c.limits.gcp) } : {}),
    };
  }

  async runOnce(): Promise<ExportPassResult> {
    const now = this.o.now();
    const planned = await this.o.exports.plan({ now, since: new Date(now.getTime() - this.o.config.lookbackMs), carryMaxMs: this.o.config.carryMaxMs });
    const result: ExportPassResult = { planned, calls: 0, sent: 0, refused: 0, retrying: 0, waiting: [] };
    for (const g of await this.o.exports.dueGroups(now)) {
      const mod = this.modules[g.marketplace];
      if (!mod) {
        result.waiting.push({ ...g, reason: `no ${g.marketplace} transport configured in this process` });
        continue;
      }
      const mapping = await this.o.exports.getMapping(g.tenant);
      await this.drain(g, mod, mapping, result);
      if (result.calls >= MAX_CALLS_PER_PASS) break;
    }
    if (result.calls > 0 || planned.usage > 0 || planned.corrections > 0) this.o.logger?.info({ ...result, planned }, 'marketplace export pass');
    return result;
  }

  private async drain(g: { tenant: string; marketplace: Marketplace }, mod: MarketplaceModule, mapping: MarketplaceMapping | null, result: ExportPassResult): Promise<void> {
    while (result.calls < MAX_CALLS_PER_PASS) {
      const now = this.o.now();
      const rows = await this.o.exports.claim({ tenant: g.tenant, marketplace: g.marketplace, now, owner: this.o.owner, leaseMs: this.o.config.leaseMs, limit: mod.limits.batch });
      if (rows.length === 0) return;
      const outcomes = await this.attempt(rows, mod, mapping, now, result);
      await this.o.exports.settle(outcomes, this.o.owner, this.o.now());
      for (const x of outcomes) {
        if (x.state === 'sent') result.sent++;
        else if (x.state === 'refused') result.refused++;
        else result.retrying++;
      }
    }
  }

  /** Refuses what may not be sent, freezes payloads, sends the rest in calls of rows that may share one. */
  private async attempt(rows: ExportRow[], mod: MarketplaceModule, mapping: MarketplaceMapping | null, now: Date, result: ExportPassResult): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const live: ExportRow[] = [];
    for (const row of rows) {
      const refusal = this.refusal(row, mod, mapping, now);
      if (refusal) outcomes.push({ id: row.id, state: 'refused', reason: refusal });
      else live.push(row);
    }
    if (live.length === 0 || !mapping) return outcomes;
    const fresh = live.filter((r) => r.payload === null).map((r) => ({ id: r.id, payload: mod.payload(r, mapping) }));
    await this.o.exports.savePayloads(fresh, this.o.owner);
    const byId = new Map(fresh.map((f) => [f.id, f.payload]));
    const sendable: Sendable[] = live.map((r) => ({ ...r, payload: r.payload ?? byId.get(r.id)! }));
    const groups = new Map<string, Sendable[]>();
    for (const r of sendable) groups.set(mod.batchKey(r), [...(groups.get(mod.batchKey(r)) ?? []), r]);
    for (const batch of groups.values()) {
      result.calls++;
      outcomes.push(...(await this.call(batch, mod, mapping, now)));
    }
    return outcomes;
  }

  private refusal(row: ExportRow, mod: MarketplaceModule, mapping: MarketplaceMapping | null, now: Date): string | null {
    if (!mapping || mapping.marketplace !== row.marketplace) return `the tenant's mapping no longer names ${row.marketplace}`;
    if (Date.parse(row.hour) + mod.limits.maxDelayMs < now.getTime()) {
      const hours = Math.round(mod.limits.maxDelayMs / 3_600_000);
      const maybe = row.attempts > 1 ? '; an earlier attempt may have reached the marketplace (no answer was recorded)' : '';
      return `expired: more than ${hours} h after the usage hour, ${row.marketplace} refuses such records${maybe}`;
    }
    return null;
  }

  private async call(batch: Sendable[], mod: MarketplaceModule, mapping: MarketplaceMapping, now: Date): Promise<Outcome[]> {
    const retryAt = (r: ExportRow) => new Date(now.getTime() + retryDelayMs(r.attempts, this.o.config));
    let outcomes: Outcome[];
    try {
      outcomes = await mod.send(batch, { mapping, now, retryAt });
    } catch (raw) {
      const err = raw instanceof MarketplaceCallError ? raw : new MarketplaceCallError(raw instanceof Error ? raw.message : String(raw), true, 'error', undefined, { cause: raw });
      this.o.logger?.warn({ marketplace: mapping.marketplace, tenant: mapping.tenant, rows: batch.length, code: err.code, retryable: err.retryable, err: err.message }, 'marketplace call failed');
      outcomes = batch.map((r): Outcome => {
        // A batch refused as a whole: send its rows one by one to find the one at fault.
        if (!err.retryable && batch.length > 1) return { id: r.id, state: 'pending', reason: `batch refused (${err.message}); retrying alone`, nextAttemptAt: now, solo: true };
        if (!err.retryable) return { id: r.id, state: 'refused', reason: err.message, ...(err.requestId ? { requestId: err.requestId } : {}) };
        return { id: r.id, state: 'pending', reason: err.message, nextAttemptAt: retryAt(r) };
      });
    }
    outcomes = outcomes.map((x) => (x.state === 'pending' && (batch.find((r) => r.id === x.id)?.attempts ?? 0) >= this.o.config.maxAttempts && !('solo' in x && x.solo)
      ? { id: x.id, state: 'refused', reason: `gave up after ${this.o.config.maxAttempts} attempts: ${x.reason}` }
      : x));
    await this.o.afterSend?.(mapping.marketplace, batch, outcomes);
    return outcomes;
  }
}
