import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { concurrentTransactionsRetries } from '../../common/src/kafka/concurrent-transactions.js';
import { createMetricsRegistry } from '../../common/src/metrics.js';

export type TransformerMetrics = ReturnType<typeof createTransformerMetrics>;

export interface TransformerMetricsOptions {
  /**
   * What /readyz answers (reasons the instance is not ready, empty when ready). Read at each
   * scrape so `transformer_ready` never disagrees with /readyz; without it the gauge says 0.
   */
  notReady?: () => readonly string[];
}

/** The transformer's Prometheus series (alerts and dashboard: infra/observability/). */
export function createTransformerMetrics(
  registry: Registry = createMetricsRegistry('transformer'),
  opts: TransformerMetricsOptions = {},
) {
  const registers = [registry];
  return {
    registry,
    /**
     * 1 when /readyz would answer 200, else 0: alerting on a gauge catches a transformer that is
     * up (scraped) but out of its group, cut off from Kafka or stuck taking over a partition.
     */
    ready: new Gauge({
      name: 'transformer_ready',
      help: '1 when /readyz answers 200 (in its group, Kafka answering, no takeover running), else 0',
      registers,
      collect() {
        this.set(opts.notReady !== undefined && opts.notReady().length === 0 ? 1 : 0);
      },
    }),
    processed: new Counter({
      name: 'transformer_records_processed_total',
      help: 'ghl.raw records committed, per ghl.raw partition',
      labelNames: ['partition'],
      registers,
    }),
    emitted: new Counter({
      name: 'transformer_events_emitted_total',
      help: 'NeuronX events committed, by topic and type',
      labelNames: ['topic', 'type'] as const,
      registers,
    }),
    duplicates: new Counter({
      name: 'transformer_duplicates_total',
      help: 'records dropped as duplicates within the dedup window',
      registers,
    }),
    dlq: new Counter({
      name: 'transformer_dlq_total',
      help: 'records sent to the DLQ, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    skipped: new Counter({
      name: 'transformer_skipped_total',
      help: 'records skipped by policy',
      labelNames: ['reason'] as const,
      registers,
    }),
    transactions: new Counter({
      name: 'transformer_transactions_total',
      help: 'transactions by result (commit, abort)',
      labelNames: ['result'] as const,
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'transformer_transaction_duration_seconds',
      help: 'time from first record decided to commit acknowledged, per transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchRecords: new Histogram({
      name: 'transformer_transaction_records',
      help: 'ghl.raw records per transaction',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    /**
     * Where a record's time goes until its transaction commits, observed once per committed
     * record, in seconds. Stages: `fetch_wait` (its ghl.raw timestamp, set by the ingress's
     * producer, to fetched here), `queue_wait` (fetched to its transaction starting: the
     * partition's transactions in flight before it, and the pause between two), `prepare`
     * (transform, encode, InitProducerId/begin), `send` (outputs, DLQ and changelog records
     * acknowledged), `offsets` (how much longer AddOffsetsToTxn + TxnOffsetCommit took than the sends
     * they run alongside; usually 0) and `commit` (EndTxn).
     * `npm run bench:e2e` prints them side by side with the end-to-end latency.
     */
    recordStage: new Histogram({
      name: 'transformer_record_stage_seconds',
      help: 'per committed ghl.raw record, the time spent in each stage: fetch_wait, queue_wait, prepare, send, offsets, commit',
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    lag: new Gauge({
      name: 'transformer_partition_lag',
      help: 'records behind the end of ghl.raw, per partition',
      labelNames: ['partition'] as const,
      registers,
    }),
    assigned: new Gauge({
      name: 'transformer_assigned_partitions',
      help: 'ghl.raw partitions owned by this instance',
      registers,
    }),
    dedupKeys: new Gauge({
      name: 'transformer_dedup_keys',
      help: 'dedup keys held in memory, per partition',
      labelNames: ['partition'] as const,
      registers,
    }),
    dedupBytes: new Gauge({
      name: 'transformer_dedup_storage_bytes',
      help: 'memory held by the dedup store, per partition',
      labelNames: ['partition'] as const,
      registers,
    }),
    restores: new Histogram({
      name: 'transformer_partition_restore_seconds',
      help: 'fence + dedup restore time when a partition is taken over',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    /**
     * Requests the transaction coordinator answered CONCURRENT_TRANSACTIONS (the previous
     * transaction's markers still being written, or another add of the same transaction being
     * logged), asked again within milliseconds. Read from the process-wide count at each scrape.
     * Up to about one per transaction is normal; several per transaction, with
     * transformer_transaction_duration_seconds rising, means the coordinator is slow.
     */
    concurrentTransactionsRetries: new Counter({
      name: 'transformer_concurrent_transactions_retries_total',
      help: 'transactional requests asked again because the coordinator was busy with the same transactional.id (CONCURRENT_TRANSACTIONS)',
      registers,
      collect() {
        this.reset();
        this.inc(concurrentTransactionsRetries());
      },
    }),
    retries: new Counter({
      name: 'transformer_retries_total',
      help: 'batches rolled back and retried, by cause',
      labelNames: ['cause'] as const,
      registers,
    }),
  };
}
