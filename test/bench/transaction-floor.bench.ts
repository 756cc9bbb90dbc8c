// `npm run bench:txn-floor`: what one small Kafka transaction costs on this machine, against one
// acks=all produce, alternating at a fixed rate on the same broker in the same run. The
// transaction is the smallest the transformer commits: one output record, one changelog record,
// the consumed offset (AddPartitionsToTxn and Produce alongside AddOffsetsToTxn and
// TxnOffsetCommit, then EndTxn). No ingress, no consumer: the floor under the exactly-once part
// of `bench:e2e`'s latency, which the at-least-once passthrough does not pay.
//
// Env: BENCH_RATE (operations per second, both kinds together; default 200), BENCH_COUNT (of each
// kind, measured; default 500), KAFKA_BROKERS/SCHEMA_REGISTRY_URL (else the local stack). The
// last line on stdout is the JSON result: p50/p99 in ms of each kind, and their ratios.
import { randomUUID } from 'node:crypto';
import { int, loadConfig } from '../../services/common/src/config.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { createTopicsAndWait } from '../../services/common/src/kafka/topic-apply.js';
import { sendOffsetsRetrying } from '../../services/transformer/src/eos/offsets-retry.js';
import { benchStack } from './bench-stack.js';
import { percentile, round } from './e2e-breakdown.js';

const config = loadConfig({
  BENCH_RATE: int({ default: 200, min: 1, max: 1000, describe: 'operations per second' }),
  BENCH_COUNT: int({ default: 500, min: 10, max: 100_000, describe: 'measured of each kind' }),
});
const WARMUP = 25;
const log = (...parts: unknown[]) => console.error('[bench:txn-floor]', ...parts);

const stack = await benchStack(log);
const kafka = createKafka({ brokers: [stack.brokers], clientId: 'bench-txn-floor' });
const admin = kafka.admin();
const run = `bench-txn-floor-${randomUUID().slice(0, 8)}`;
const topics = { out: `${run}.out`, changelog: `${run}.changelog`, raw: `${run}.raw` };
const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
// The transformer's transactional producer settings (instance-producer.ts).
const transactional = kafka.producer({
  transactionalId: run,
  idempotent: true,
  maxInFlightRequests: 1,
  retry: { initialRetryTime: 10, multiplier: 1.5, maxRetryTime: 500, retries: 12 },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The transformer's smallest transaction: an output, a changelog record, the consumed offset. */
async function smallestTransaction(i: number): Promise<void> {
  const key = `key-${i}`;
  const txn = await transactional.transaction();
  try {
    await Promise.all([
      txn.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: topics.out, messages: [{ key, value: 'v' }] },
          { topic: topics.changelog, messages: [{ key, value: 'x', partition: i % 6 }] },
        ],
      }),
      sendOffsetsRetrying((offsets) => txn.sendOffsets(offsets), {
        consumerGroupId: `${run}-group`,
        topics: [{ topic: topics.raw, partitions: [{ partition: i % 6, offset: String(i) }] }],
      }),
    ]);
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
  await txn.commit();
}

/**
 * Warm-up only: a fresh broker answers "coordinator loading" until it has loaded the offsets and
 * transaction state partitions; retried for up to 30 s. Measured operations are never retried.
 */
async function warmUp<T>(op: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
  };
};

try {
  await admin.connect();
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 6 })),
  );
  await Promise.all([plain.connect(), transactional.connect()]);
  const produceMs: number[] = [];
  const transactionMs: number[] = [];
  const period = 1000 / config.BENCH_RATE;
  log(`${config.BENCH_COUNT} of each at ${config.BENCH_RATE}/s on ${stack.brokers}`);
  for (let i = 0; i < 2 * (config.BENCH_COUNT + WARMUP); i++) {
    const start = performance.now();
    const key = `key-${i}`;
    if (i % 2 === 0) {
      const send = () =>
        plain.send({ acks: -1, topic: topics.out, messages: [{ key, value: 'v' }] });
      if (i < 2 * WARMUP) await warmUp(send);
      else {
        await send();
        produceMs.push(performance.now() - start);
      }
    } else if (i >= 2 * WARMUP) {
      await smallestTransaction(i);
      transactionMs.push(performance.now() - start);
    } else {
      await warmUp(() => smallestTransaction(i));
    }
    await sleep(Math.max(0, period - (performance.now() - start)));
  }
  const produce = summary(produceMs);
  const transaction = summary(transactionMs);
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : round(a / b, 2);
  console.log(
    JSON.stringify({
      rate: config.BENCH_RATE,
      produce_acks_all: produce,
      transaction,
      transaction_over_produce_p50: ratio(transaction.p50_ms, produce.p50_ms),
      transaction_over_produce_p99: ratio(transaction.p99_ms, produce.p99_ms),
    }),
  );
} finally {
  await Promise.allSettled([plain.disconnect(), transactional.disconnect()]);
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
  await stack.release();
}
