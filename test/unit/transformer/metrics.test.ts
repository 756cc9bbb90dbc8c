import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  concurrentTransactionsRetries,
  retryConcurrentTransactions,
} from '../../../services/common/src/kafka/concurrent-transactions.js';
import { createTransformerMetrics } from '../../../services/transformer/src/metrics.js';

/** The counter's value in a scrape of `registry`. */
async function concurrentRetriesIn(registry: Registry): Promise<number> {
  const line = (await registry.metrics())
    .split('\n')
    .find((l) => l.startsWith('transformer_concurrent_transactions_retries_total '));
  return Number(line?.split(' ')[1]);
}

describe('transformer metrics', () => {
  it('transformer_ready follows the readiness probe at each scrape', async () => {
    let reasons: string[] = ['starting'];
    const metrics = createTransformerMetrics(new Registry(), { notReady: () => reasons });
    expect(await metrics.registry.metrics()).toContain('transformer_ready 0');
    reasons = [];
    expect(await metrics.registry.metrics()).toContain('transformer_ready 1');
    reasons = ['Kafka unreachable'];
    expect(await metrics.registry.metrics()).toContain('transformer_ready 0');
  });

  it('transformer_ready is 0 without a probe (never claims readiness it cannot know)', async () => {
    const metrics = createTransformerMetrics(new Registry());
    expect(await metrics.registry.metrics()).toContain('transformer_ready 0');
  });

  it('exports the series the alerts and the dashboard use, with the service label', async () => {
    const metrics = createTransformerMetrics(undefined, { notReady: () => [] });
    metrics.transactions.inc({ result: 'abort' });
    metrics.retries.inc({ cause: 'fenced' });
    metrics.dlq.inc({ reason: 'invalid_json' });
    metrics.lag.set({ partition: '2' }, 7);
    metrics.restores.observe(0.3);
    metrics.processed.inc({ partition: '1' }, 3);
    const text = await metrics.registry.metrics();
    for (const line of [
      'transformer_ready{service="transformer"} 1',
      'transformer_records_processed_total{partition="1",service="transformer"} 3',
      'transformer_transactions_total{result="abort",service="transformer"} 1',
      'transformer_retries_total{cause="fenced",service="transformer"} 1',
      'transformer_dlq_total{reason="invalid_json",service="transformer"} 1',
      'transformer_partition_lag{partition="2",service="transformer"} 7',
      'transformer_partition_restore_seconds_bucket{le="0.5",service="transformer"} 1',
      'transformer_assigned_partitions{service="transformer"} 0',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('transformer_concurrent_transactions_retries_total counts every request asked again', async () => {
    const metrics = createTransformerMetrics(new Registry());
    const before = await concurrentRetriesIn(metrics.registry);
    expect(before).toBe(concurrentTransactionsRetries());
    let calls = 0;
    const concurrent = Object.assign(new Error('concurrent'), { type: 'CONCURRENT_TRANSACTIONS' });
    await retryConcurrentTransactions(async () => {
      if (++calls < 4) throw concurrent;
    });
    expect(await concurrentRetriesIn(metrics.registry)).toBe(before + 3);
    // A second scrape without retries in between adds nothing.
    expect(await concurrentRetriesIn(metrics.registry)).toBe(before + 3);
  });
});
