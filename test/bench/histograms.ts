// Prometheus histograms read back from a /metrics page, for benchmarks that report a service's
// own timings: parse one histogram's series per label value, subtract an earlier scrape, and
// estimate quantiles the way PromQL's histogram_quantile does (linear within a bucket).

/** One label value's series: cumulative bucket counts by upper bound (`le`, seconds), ascending. */
export interface HistogramSeries {
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** Mean and quantiles in ms, over `count` observations. */
export interface StageSummary {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
}

const SAMPLE = /^(\w+?)_(bucket|sum|count)\{([^}]*)\} (\S+)$/;

/**
 * The series of histogram `name` in a Prometheus text exposition, keyed by the value of its first
 * label other than `le` and `service` ('' when it has none).
 */
export function parseHistograms(text: string, name: string): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels.set(l[1] ?? '', l[2] ?? '');
    const key = [...labels].find(([k]) => k !== 'le' && k !== 'service')?.[1] ?? '';
    let series = out.get(key);
    if (!series) out.set(key, (series = { buckets: [], sum: 0, count: 0 }));
    const value = Number(m[4]);
    if (m[2] === 'bucket')
      series.buckets.push({
        le: labels.get('le') === '+Inf' ? Infinity : Number(labels.get('le')),
        count: value,
      });
    else if (m[2] === 'sum') series.sum = value;
    else series.count = value;
  }
  for (const series of out.values()) series.buckets.sort((a, b) => a.le - b.le);
  return out;
}

/** `after` minus `before`, series by series (a series missing before counts from zero). */
export function histogramDelta(
  after: Map<string, HistogramSeries>,
  before: Map<string, HistogramSeries>,
): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const [key, a] of after) {
    const b = before.get(key);
    out.set(key, {
      buckets: a.buckets.map((bucket, i) => ({
        le: bucket.le,
        count: bucket.count - (b?.buckets[i]?.count ?? 0),
      })),
      sum: a.sum - (b?.sum ?? 0),
      count: a.count - (b?.count ?? 0),
    });
  }
  return out;
}

/**
 * The q-quantile (0..1) in seconds, interpolated linearly inside its bucket as PromQL's
 * histogram_quantile does; the highest finite bound when it falls in the +Inf bucket; NaN when empty.
 */
export function quantile(series: HistogramSeries, q: number): number {
  const total = series.buckets[series.buckets.length - 1]?.count ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of series.buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerLe;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerLe + ((le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

export function summarize(series: HistogramSeries): StageSummary {
  return {
    count: series.count,
    mean_ms: series.count > 0 ? (series.sum / series.count) * 1000 : NaN,
    p50_ms: quantile(series, 0.5) * 1000,
    p99_ms: quantile(series, 0.99) * 1000,
  };
}
