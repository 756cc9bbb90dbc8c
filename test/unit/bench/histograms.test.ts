import { describe, expect, it } from 'vitest';
import { histogramDelta, parseHistograms, quantile, summarize } from '../../bench/histograms.js';

const page = (send: number[], sum: number) => `# HELP x_seconds help
# TYPE x_seconds histogram
x_seconds_bucket{le="0.01",stage="send",service="transformer"} ${send[0]}
x_seconds_bucket{le="0.1",stage="send",service="transformer"} ${send[1]}
x_seconds_bucket{le="+Inf",stage="send",service="transformer"} ${send[2]}
x_seconds_sum{stage="send",service="transformer"} ${sum}
x_seconds_count{stage="send",service="transformer"} ${send[2]}
other_seconds_bucket{le="+Inf",stage="send"} 99
x_seconds_bucket{le="0.01",stage="commit",service="transformer"} 4
x_seconds_bucket{le="+Inf",stage="commit",service="transformer"} 4
x_seconds_sum{stage="commit",service="transformer"} 0.02
x_seconds_count{stage="commit",service="transformer"} 4
`;

describe('benchmark histograms', () => {
  it('parses one histogram per label value, ignoring other metrics', () => {
    const h = parseHistograms(page([10, 30, 40], 2), 'x_seconds');
    expect([...h.keys()].sort()).toEqual(['commit', 'send']);
    expect(h.get('send')).toEqual({
      buckets: [
        { le: 0.01, count: 10 },
        { le: 0.1, count: 30 },
        { le: Infinity, count: 40 },
      ],
      sum: 2,
      count: 40,
    });
  });

  it('subtracts an earlier scrape and interpolates quantiles inside a bucket like histogram_quantile', () => {
    const before = parseHistograms(page([10, 10, 10], 0.05), 'x_seconds');
    const after = parseHistograms(page([10, 30, 30], 1.05), 'x_seconds');
    const send = histogramDelta(after, before).get('send')!;
    // 20 new observations, all between 0.01 and 0.1 s: the median is halfway through that bucket.
    expect(send.count).toBe(20);
    expect(quantile(send, 0.5)).toBeCloseTo(0.055, 6);
    expect(summarize(send)).toMatchObject({ count: 20, mean_ms: 50 });
    expect(summarize(send).p99_ms).toBeCloseTo(99.1, 6);
  });

  it('answers the highest finite bound for a quantile in the +Inf bucket, NaN when empty', () => {
    const h = parseHistograms(page([0, 0, 5], 10), 'x_seconds').get('send')!;
    expect(quantile(h, 0.5)).toBe(0.1);
    const empty = parseHistograms(page([0, 0, 0], 0), 'x_seconds').get('send')!;
    expect(quantile(empty, 0.5)).toBeNaN();
  });
});
