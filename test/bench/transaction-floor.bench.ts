// `npm run bench:txn-floor`: what one small Kafka transaction costs on this machine, against one
// acks=all produce, alternating at a fixed rate on the same broker in the same run. The
// transaction is the smallest the transformer commits: one output record, one changelog record,
// the consumed offset (AddPartitionsToTxn and Produce alongside AddOffsetsToTxn and
// TxnOffsetCommit, then EndTxn). No ingress, no consumer: the floor under the exactly-once part
// of `bench:e2e`'s latency, which the at-least-once passthrough does not pay.
//
// Then the same measurement with Apache Kafka's own Java client (test/bench/java), which uses
// transaction version 2 when the broker has it (no AddPartitionsToTxn, no AddOffsetsToTxn): a
// floor that does not depend on kafkajs, and the answer to "would another client do better?".
//
// Env: BENCH_RATE (operations per second, both kinds together; default 200), BENCH_COUNT (of each
// kind, measured; default 1000), BENCH_WARMUP (of each kind, before measuring; default 500: the
// JVM needs it to compile its hot paths), BENCH_JAVA (1, the default: also the Java client), KAFKA_BROKERS/
// SCHEMA_REGISTRY_URL (else the local stack). The last line on stdout is the JSON result: p50/p99
// in ms of each kind and their ratios for kafkajs, the same under `java_client`, and kafkajs'
// transaction percentiles over the Java client's.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { int, loadConfig } from '../../services/common/src/config.js';
import { retryConcurrentTransactions } from '../../services/common/src/kafka/concurrent-transactions.js';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { createTopicsAndWait } from '../../services/common/src/kafka/topic-apply.js';
import { trackChild } from './bench-children.js';
import { benchJavaCommand } from './bench-java.js';
import { benchStack } from './bench-stack.js';
import { percentile, round } from './e2e-breakdown.js';

const config = loadConfig({
  BENCH_RATE: int({ default: 200, min: 1, max: 1000, describe: 'operations per second' }),
  BENCH_COUNT: int({ default: 1000, min: 10, max: 100_000, describe: 'measured of each kind' }),
  BENCH_WARMUP: int({ default: 500, min: 1, max: 100_000, describe: 'warm-up of each kind' }),
  BENCH_JAVA: int({
    default: 1,
    min: 0,
    max: 1,
    describe: '1: also measure with the Java client',
  }),
});
const WARMUP = config.BENCH_WARMUP;
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
      retryConcurrentTransactions(() =>
        txn.sendOffsets({
          consumerGroupId: `${run}-group`,
          topics: [{ topic: topics.raw, partitions: [{ partition: i % 6, offset: String(i) }] }],
        }),
      ),
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
type Summary = ReturnType<typeof summary>;
const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? null : round(a / b, 2);
const ratios = (produce: Summary, transaction: Summary) => ({
  transaction_over_produce_p50: ratio(transaction.p50_ms, produce.p50_ms),
  transaction_over_produce_p99: ratio(transaction.p99_ms, produce.p99_ms),
});

/** The kafkajs measurement: produce and transaction alternating at BENCH_RATE. */
async function measureKafkajs(): Promise<{ produce_acks_all: Summary; transaction: Summary }> {
  await admin.connect();
  await createTopicsAndWait(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 6 })),
  );
  await Promise.all([plain.connect(), transactional.connect()]);
  const produceMs: number[] = [];
  const transactionMs: number[] = [];
  const period = 1000 / config.BENCH_RATE;
  log(`kafkajs: ${config.BENCH_COUNT} of each at ${config.BENCH_RATE}/s on ${stack.brokers}`);
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
  return { produce_acks_all: summary(produceMs), transaction: summary(transactionMs) };
}

interface JavaResult {
  broker_transaction_version: number;
  produce_acks_all: Summary;
  transaction: Summary;
}

/**
 * The same measurement by test/bench/java/TransactionFloor.java (Apache Kafka's Java client),
 * compiled once into the stack cache. The JVM is killed if it runs past its schedule plus two
 * minutes, and whenever this bench exits. Throws with the JVM's output tail when it fails.
 */
async function measureJava(): Promise<JavaResult> {
  const command = await benchJavaCommand('TransactionFloor', [
    ...['--brokers', stack.brokers, '--rate', String(config.BENCH_RATE)],
    ...['--count', String(config.BENCH_COUNT), '--warmup', String(WARMUP)],
  ]);
  const child = trackChild(
    spawn(command.java, command.args, { stdio: ['ignore', 'pipe', 'pipe'] }),
    'the Java side (TransactionFloor)',
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out = (out + b.toString('utf8')).slice(-8_000)));
  child.stderr?.on('data', (b: Buffer) => {
    err = (err + b.toString('utf8')).slice(-8_000);
    process.stderr.write(b);
  });
  const limitMs = ((2 * (config.BENCH_COUNT + WARMUP)) / config.BENCH_RATE) * 1000 + 120_000;
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(killer));
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(
      `the Java side failed (${code === null ? `killed after ${Math.round(limitMs / 1000)} s` : `exit ${code}`}):\n${(err + out).trim().slice(-8_000)}`,
    );
  return JSON.parse(last) as JavaResult;
}

try {
  const kafkajs = await measureKafkajs();
  let javaClient: JavaResult | undefined;
  let javaError: string | undefined;
  if (config.BENCH_JAVA) {
    // A failed Java side still leaves the kafkajs figures worth printing.
    try {
      javaClient = await measureJava();
    } catch (err) {
      javaError = (err as Error).message;
      log(javaError);
      process.exitCode = 1;
    }
  }
  console.log(
    JSON.stringify({
      rate: config.BENCH_RATE,
      warmup: WARMUP,
      ...kafkajs,
      ...ratios(kafkajs.produce_acks_all, kafkajs.transaction),
      ...(javaClient && {
        java_client: {
          ...javaClient,
          ...ratios(javaClient.produce_acks_all, javaClient.transaction),
        },
        kafkajs_over_java_transaction_p50: ratio(
          kafkajs.transaction.p50_ms,
          javaClient.transaction.p50_ms,
        ),
        kafkajs_over_java_transaction_p99: ratio(
          kafkajs.transaction.p99_ms,
          javaClient.transaction.p99_ms,
        ),
      }),
      ...(javaError !== undefined && { java_client: { error: javaError.split('\n')[0] } }),
    }),
  );
} finally {
  await Promise.allSettled([plain.disconnect(), transactional.disconnect()]);
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
  await stack.release();
}
