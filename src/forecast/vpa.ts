// Right-sizing of CPU and memory requests from a usage history (pure): the Kubernetes Vertical Pod
// Autoscaler recommender's algorithm, re-implemented so Fleetplane can show and check a recommendation
// without running the recommender (kubernetes/autoscaler, vertical-pod-autoscaler/pkg/recommender:
// util/histogram.go, util/histogram_options.go, util/decaying_histogram.go, model/aggregations_config.go,
// model/aggregate_container_state.go, model/container.go, logic/estimator.go, logic/recommender.go).
//
// - CPU: every usage sample goes into a decaying exponential histogram (first bucket 0.001 core, buckets
//   5% wider each, up to 1000 cores), weighted by max(request, 0.1 core) × 2^(age / 24 h half-life).
// - Memory: one sample per 24 h aggregation interval, the interval's peak (weight 1, same decay).
// - Target = p90, lower bound = p50, upper bound = p95 of the histograms (a percentile is the END of the
//   bucket it falls in), each + 15% safety margin; the upper bound × (1 + 1/confidence), the lower bound
//   × (1 + 0.001/confidence)^-2, confidence = min(history days, samples / 1440); then at least 25 millicores
//   and 250 MiB per pod, split evenly over its containers.

export interface HistogramOptions { maxValue: number; firstBucketSize: number; ratio: number; epsilon: number }

const MIN_SAMPLE_WEIGHT = 0.1;
const EPSILON = 0.001 * MIN_SAMPLE_WEIGHT;
export const CPU_HISTOGRAM: HistogramOptions = { maxValue: 1000, firstBucketSize: 0.001, ratio: 1.05, epsilon: EPSILON };
export const MEMORY_HISTOGRAM: HistogramOptions = { maxValue: 1e12, firstBucketSize: 1e7, ratio: 1.05, epsilon: EPSILON };
const MAX_DECAY_EXPONENT = 100;

export function numBuckets(o: HistogramOptions): number {
  return Math.ceil(Math.log(o.maxValue * (o.ratio - 1) / o.firstBucketSize + 1) / Math.log(o.ratio)) + 1;
}

export function findBucket(o: HistogramOptions, value: number): number {
  if (value < o.firstBucketSize) return 0;
  const b = Math.floor(Math.log(value * (o.ratio - 1) / o.firstBucketSize + 1) / Math.log(o.ratio));
  return Math.min(b, numBuckets(o) - 1);
}

export function bucketStart(o: HistogramOptions, b: number): number {
  return b === 0 ? 0 : (o.firstBucketSize * (o.ratio ** b - 1)) / (o.ratio - 1);
}

/** A histogram whose samples lose half their weight every `halfLife` seconds (relative to the newest). */
export class DecayingHistogram {
  private readonly w: Float64Array;
  private total = 0;
  private ref = Number.NEGATIVE_INFINITY;

  constructor(readonly options: HistogramOptions, readonly halfLife: number) {
    this.w = new Float64Array(numBuckets(options));
  }

  private decay(ts: number): number {
    if (ts > this.ref + MAX_DECAY_EXPONENT * this.halfLife) {
      // Like upstream: move the reference (a multiple of the half-life) forward and rescale.
      const next = Math.round(ts / this.halfLife) * this.halfLife;
      const factor = Number.isFinite(this.ref) ? 2 ** Math.round((this.ref - next) / this.halfLife) : 0;
      for (let i = 0; i < this.w.length; i++) this.w[i]! *= factor;
      this.total *= factor;
      this.ref = next;
    }
    return 2 ** ((ts - this.ref) / this.halfLife);
  }

  add(value: number, weight: number, ts: number): void {
    const x = weight * this.decay(ts);
    this.w[findBucket(this.options, value)]! += x;
    this.total += x;
  }

  subtract(value: number, weight: number, ts: number): void {
    const b = findBucket(this.options, value);
    let x = weight * this.decay(ts);
    if (x > this.w[b]! - this.options.epsilon) x = this.w[b]!;
    this.w[b]! -= x;
    this.total -= x;
  }

  isEmpty(): boolean {
    return !this.w.some((x) => x >= this.options.epsilon);
  }

  /** The end of the bucket where the cumulative weight first reaches p × total (upstream's Percentile). */
  percentile(p: number): number {
    if (this.isEmpty()) return 0;
    let lo = 0;
    while (this.w[lo]! < this.options.epsilon) lo++;
    let hi = this.w.length - 1;
    while (this.w[hi]! < this.options.epsilon) hi--;
    const threshold = p * this.total;
    let sum = 0;
    let b = lo;
    for (; b < hi; b++) {
      sum += this.w[b]!;
      if (sum >= threshold) break;
    }
    return b < this.w.length - 1 ? bucketStart(this.options, b + 1) : bucketStart(this.options, b);
  }
}

export interface UsageSample {
  /** Unix seconds of the start of the measurement. */
  ts: number;
  /** Mean CPU usage over the sample interval, cores. */
  cpuCores?: number;
  /** Working-set memory, bytes. */
  memoryBytes?: number;
  /** CPU request at that time (cores): the weight of the CPU sample. */
  cpuRequestCores?: number;
}

export interface VpaOptions {
  targetPercentile: number;
  lowerPercentile: number;
  upperPercentile: number;
  safetyMargin: number;
  /** Per pod; split over containersPerPod. */
  podMinCpuCores: number;
  podMinMemoryBytes: number;
  containersPerPod: number;
  halfLifeSeconds: number;
  memoryAggregationSeconds: number;
}

/** The upstream recommender's defaults (flags of vpa-recommender). */
export const VPA_DEFAULTS: VpaOptions = {
  targetPercentile: 0.9, lowerPercentile: 0.5, upperPercentile: 0.95, safetyMargin: 0.15,
  podMinCpuCores: 0.025, podMinMemoryBytes: 250 * 1024 * 1024, containersPerPod: 1,
  halfLifeSeconds: 86_400, memoryAggregationSeconds: 86_400,
};

export interface Resources { cpuCores: number; memoryBytes: number }

export interface VpaRecommendation {
  target: Resources;
  lowerBound: Resources;
  upperBound: Resources;
  /** History length in days as upstream measures it (CPU samples). */
  confidence: number;
  cpuSamples: number;
  memoryPeaks: number;
}

interface Aggregate { cpu: DecayingHistogram; memory: DecayingHistogram; first: number; last: number; count: number; peaks: number }

// One peak per aggregation interval: a larger sample in the same interval replaces the interval's peak
// (upstream model/container.go addMemorySample; the peak is stamped with the interval's end).
function addMemory(a: Aggregate, s: { ts: number; bytes: number }, w: { end: number; peak: number }, interval: number): void {
  if (w.end === Number.NEGATIVE_INFINITY) w.end = s.ts;
  if (s.ts < w.end) {
    if (w.peak !== 0 && s.bytes > w.peak) {
      a.memory.subtract(w.peak, 1, w.end);
      a.memory.add(s.bytes, 1, w.end);
      w.peak = s.bytes;
    }
    return;
  }
  w.end += Math.floor((s.ts - w.end) / interval) * interval + interval;
  w.peak = s.bytes;
  a.memory.add(s.bytes, 1, w.end);
  a.peaks++;
}

function aggregate(samples: readonly UsageSample[], o: VpaOptions): Aggregate {
  const a: Aggregate = { cpu: new DecayingHistogram(CPU_HISTOGRAM, o.halfLifeSeconds), memory: new DecayingHistogram(MEMORY_HISTOGRAM, o.halfLifeSeconds), first: Infinity, last: -Infinity, count: 0, peaks: 0 };
  const window = { end: Number.NEGATIVE_INFINITY, peak: 0 };
  let lastCpu = Number.NEGATIVE_INFINITY;
  let lastMem = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    // Like upstream: negative, duplicate or out-of-order samples are discarded.
    if (s.cpuCores !== undefined && s.cpuCores >= 0 && s.ts > lastCpu) {
      a.cpu.add(s.cpuCores, Math.max(s.cpuRequestCores ?? 0, MIN_SAMPLE_WEIGHT), s.ts);
      a.first = Math.min(a.first, s.ts);
      a.last = Math.max(a.last, s.ts);
      a.count++;
      lastCpu = s.ts;
    }
    if (s.memoryBytes !== undefined && s.memoryBytes >= 0 && s.ts >= lastMem) {
      addMemory(a, { ts: s.ts, bytes: s.memoryBytes }, window, o.memoryAggregationSeconds);
      lastMem = s.ts;
    }
  }
  return a;
}

/** The recommendation for one container from its usage history (samples in time order). */
export function recommendResources(samples: readonly UsageSample[], options: Partial<VpaOptions> = {}): VpaRecommendation {
  const o = { ...VPA_DEFAULTS, ...options };
  const a = aggregate(samples, o);
  const confidence = a.count === 0 ? 0 : Math.min((a.last - a.first) / 86_400, a.count / 1440);
  const fraction = 1 / o.containersPerPod;
  const minCpu = o.podMinCpuCores * fraction;
  const minMem = o.podMinMemoryBytes * fraction;
  const margin = 1 + o.safetyMargin;
  const scale = (v: number, k: number): number => (k === Infinity ? Infinity : v * margin * k);
  const at = (p: number, k: number): Resources => ({
    cpuCores: Math.max(minCpu, scale(a.cpu.percentile(p), k)),
    memoryBytes: Math.max(minMem, scale(a.memory.percentile(p), k)),
  });
  // With no history the upper bound is unbounded and the lower bound 0, as upstream.
  const upperK = confidence > 0 ? 1 + 1 / confidence : Infinity;
  const lowerK = confidence > 0 ? (1 + 0.001 / confidence) ** -2 : 0;
  return {
    target: at(o.targetPercentile, 1), lowerBound: at(o.lowerPercentile, lowerK), upperBound: at(o.upperPercentile, upperK),
    confidence, cpuSamples: a.count, memoryPeaks: a.peaks,
  };
}
