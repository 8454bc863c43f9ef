// Incremental history for the pre-scaler: the first pass reads the full window (days at 1-minute steps),
// later passes read only the last few minutes and append, so each environment costs Prometheus one small
// range query per minute instead of three 10,000-point ones.
import type { PrometheusClient, RangeQuery } from '../adapters/prometheus/client.ts';
import { toDense, type DenseSeries, type Sample } from '../forecast/series.ts';
import type { HistorySource } from './prescaler.ts';

/** Re-read this much before the newest cached sample: late scrapes and recording rules settle. */
const OVERLAP_SECONDS = 600;

interface Entry { samples: Sample[]; lastEnd: number }

export class CachedHistory implements HistorySource {
  private readonly entries = new Map<string, Entry>();
  /** Range requests issued (for tests and logs). */
  requests = 0;

  constructor(private readonly client: Pick<PrometheusClient, 'range'>, private readonly maxEntries = 5000) {}

  async history(q: RangeQuery): Promise<{ series: DenseSeries; samples: number }> {
    const key = `${q.step}\u0000${q.query}`;
    const cached = this.entries.get(key);
    const incremental = cached && q.end >= cached.lastEnd && cached.lastEnd - OVERLAP_SECONDS > q.start;
    const from = incremental ? Math.max(q.start, cached.lastEnd - OVERLAP_SECONDS) : q.start;
    const fresh = await this.fetch({ ...q, start: from });
    const kept = incremental ? cached.samples.filter((s) => s.ts >= q.start && s.ts < from) : [];
    const samples = kept.concat(fresh.filter((s) => s.ts >= from));
    if (samples.length === 0) throw new Error('prometheus: the series has no finite samples in the range');
    this.remember(key, { samples, lastEnd: q.end });
    const series = toDense(samples, q.step, { maxLinearGap: Math.max(1, Math.round(600 / q.step)), season: Math.round(86_400 / q.step) });
    return { series, samples: samples.length };
  }

  private async fetch(q: RangeQuery): Promise<Sample[]> {
    this.requests++;
    const result = await this.client.range(q);
    if (result.length > 1) throw new Error(`prometheus: query must return exactly one series for forecasting, got ${result.length} (wrap it in sum(...))`);
    return (result[0]?.samples ?? []).filter((s) => Number.isFinite(s.value));
  }

  private remember(key: string, e: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    // Least recently used goes first when a fleet outgrows the cache.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
