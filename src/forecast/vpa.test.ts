import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketStart, CPU_HISTOGRAM, DecayingHistogram, findBucket, recommendResources, type UsageSample } from './vpa.ts';

const DAY = 86_400;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const T0 = 1_700_006_400; // a UTC midnight

function history(days: number, f: (minute: number) => Omit<UsageSample, 'ts'>): UsageSample[] {
  return Array.from({ length: days * 1440 }, (_, m) => ({ ts: T0 + m * 60, ...f(m) }));
}

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('VPA histogram (upstream bucketing)', () => {
  it('exponential buckets: 0.5 cores falls in bucket 66 = [0.48064, 0.50567)', () => {
    // By hand: floor(ln(0.5 × 0.05 / 0.001 + 1) / ln 1.05) = floor(66.78) = 66;
    // start(n) = 0.001 × (1.05^n − 1) / 0.05.
    assert.equal(findBucket(CPU_HISTOGRAM, 0.5), 66);
    close(bucketStart(CPU_HISTOGRAM, 66), 0.48063791174276405, 'start 66');
    close(bucketStart(CPU_HISTOGRAM, 67), 0.5056698073299023, 'start 67');
    assert.equal(findBucket(CPU_HISTOGRAM, 0.0005), 0);
  });

  it('a percentile is the end of its bucket; newer samples weigh more (24 h half-life)', () => {
    const h = new DecayingHistogram(CPU_HISTOGRAM, DAY);
    h.add(2, 1, T0);
    h.add(0.25, 1, T0 + DAY); // twice the weight of the older sample
    close(h.percentile(0.5), bucketStart(CPU_HISTOGRAM, findBucket(CPU_HISTOGRAM, 0.25) + 1), 'p50');
    close(h.percentile(0.9), bucketStart(CPU_HISTOGRAM, findBucket(CPU_HISTOGRAM, 2) + 1), 'p90');
  });
});

describe('VPA recommendation against a synthetic history with a known answer', () => {
  it('steady 0.5 cores and 1 GiB for 8 days: target = bucket end × 1.15, bounds by confidence 8', () => {
    const r = recommendResources(history(8, () => ({ cpuCores: 0.5, cpuRequestCores: 1, memoryBytes: GiB })));
    close(r.target.cpuCores, 0.5056698073299023 * 1.15, 'cpu target'); // 0.58152 cores
    close(r.target.memoryBytes, 1077095457.9817963 * 1.15, 'memory target'); // 1.2387e9 bytes
    // Confidence = min(lifespan 7.9993 days, 11,520 samples / 1440 = 8).
    close(r.confidence, (8 * 1440 - 1) / 1440, 'confidence');
    close(r.upperBound.cpuCores, 0.5056698073299023 * 1.15 * (1 + 1 / r.confidence), 'cpu upper');
    close(r.lowerBound.cpuCores, 0.5056698073299023 * 1.15 * (1 + 0.001 / r.confidence) ** -2, 'cpu lower');
    assert.equal(r.memoryPeaks, 8);
  });

  it('memory follows the daily peaks, not the bulk of the samples', () => {
    // 500 MiB all day except one minute a day at 1 GiB: p90 of the samples would be 500 MiB, p90 of the peaks is 1 GiB.
    const r = recommendResources(history(8, (m) => ({ cpuCores: 0.1, memoryBytes: m % 1440 === 600 ? GiB : 500 * MiB })));
    close(r.target.memoryBytes, 1077095457.9817963 * 1.15, 'memory target');
  });

  it('decay: two recent quiet days outweigh six busy older ones at the median, not at p90', () => {
    // Days 0-5 at 2 cores, days 6-7 at 0.25: with halving per day the last two days hold (64 + 128) / 255
    // ≈ 75% of the weight, so p50 lands in the 0.25 bucket and p90 in the 2-core bucket. Without decay the
    // quiet days would hold only 25% and p50 would be 2 cores too.
    const r = recommendResources(history(8, (m) => ({ cpuCores: m < 6 * 1440 ? 2 : 0.25, cpuRequestCores: 1 })));
    close(r.target.cpuCores, 2.346797558260181, 'cpu target (2.0 bucket end × 1.15)');
    const p50 = 0.29759001054914225 * (1 + 0.001 / r.confidence) ** -2;
    close(r.lowerBound.cpuCores, p50, 'cpu lower (0.25 bucket end × 1.15 × confidence factor)');
    const flat = recommendResources(history(8, (m) => ({ cpuCores: m < 6 * 1440 ? 2 : 0.25, cpuRequestCores: 1 })), { halfLifeSeconds: 1e9 });
    assert.ok(flat.lowerBound.cpuCores > 2, `without decay the median is the busy level: ${flat.lowerBound.cpuCores}`);
  });

  it('minimum resources: 25 millicores and 250 MiB per pod, split over its containers', () => {
    const tiny = history(2, () => ({ cpuCores: 0.001, memoryBytes: 5 * MiB }));
    assert.deepEqual(recommendResources(tiny).target, { cpuCores: 0.025, memoryBytes: 250 * MiB });
    assert.deepEqual(recommendResources(tiny, { containersPerPod: 2 }).target, { cpuCores: 0.0125, memoryBytes: 125 * MiB });
  });

  it('one day of history doubles the upper bound; no history gives no target', () => {
    const r = recommendResources(history(1, () => ({ cpuCores: 0.5 })).concat([{ ts: T0 + DAY, cpuCores: 0.5 }]));
    close(r.confidence, 1, 'confidence');
    close(r.upperBound.cpuCores, 0.5056698073299023 * 1.15 * 2, 'upper = 2 × target');
    const none = recommendResources([]);
    assert.equal(none.cpuSamples, 0);
    assert.equal(none.target.cpuCores, 0.025);
    assert.equal(none.upperBound.cpuCores, Infinity);
  });

  it('drops out-of-order, duplicate and negative samples like upstream', () => {
    const base = history(2, () => ({ cpuCores: 0.5 }));
    const noisy = [...base.slice(0, 100), { ts: base[50]!.ts, cpuCores: 9 }, { ts: base[100]!.ts, cpuCores: -1 }, ...base.slice(100)];
    assert.deepEqual(recommendResources(noisy), recommendResources(base));
  });
});
