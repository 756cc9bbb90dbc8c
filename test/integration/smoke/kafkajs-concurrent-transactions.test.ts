// Transactions back to back on the real broker: right after EndTxn the coordinator is still writing
// the markers and answers the next transaction's AddPartitionsToTxn and AddOffsetsToTxn with
// CONCURRENT_TRANSACTIONS. Both are asked again within milliseconds
// (services/common/src/kafka/concurrent-transactions.ts), never after kafkajs' retrier back-off,
// which with kafkajs' default retry (300 ms) would add that much to each transaction that meets it.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  concurrentTransactionsRetries,
  retryConcurrentTransactions,
} from '../../../services/common/src/kafka/concurrent-transactions.js';
import { createKafka } from '../../../services/common/src/kafka/kafka-client.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { readCommitted, testKafka, uniquePrefix } from '../../helpers/integration.js';

const TRANSACTIONS = 60;

describe('transactions back to back: CONCURRENT_TRANSACTIONS is asked again at once', () => {
  const admin = testKafka('smoke-concurrent-admin').admin();
  const prefix = uniquePrefix('smoke-ct');
  const input = `${prefix}in`;
  const output = `${prefix}out`;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 3 },
    ]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('commits every transaction without the retrier ever seeing CONCURRENT_TRANSACTIONS', async () => {
    // The producer's kafkajs log (warn and above, as the services log it), kept in memory.
    const logged: { msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logged.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    const kafka = createKafka({
      brokers: [inject('kafkaBrokers')],
      clientId: 'smoke-concurrent',
      logger: pino({ level: 'warn' }, sink),
    });
    // kafkajs' default retry: a CONCURRENT_TRANSACTIONS reaching its retrier would cost ~300 ms.
    const producer = kafka.producer({
      transactionalId: `${prefix}tx-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const groupId = `${prefix}group`;
    const before = concurrentTransactionsRetries();
    await producer.connect();
    const started = Date.now();
    try {
      for (let i = 0; i < TRANSACTIONS; i++) {
        const txn = await producer.transaction();
        // As the transformer does: the offsets go to the coordinators while the records are sent.
        await Promise.all([
          txn.send({
            topic: output,
            acks: -1,
            messages: [{ key: `k${i}`, value: String(i), partition: i % 3 }],
          }),
          retryConcurrentTransactions(() =>
            txn.sendOffsets({
              consumerGroupId: groupId,
              topics: [{ topic: input, partitions: [{ partition: 0, offset: String(i + 1) }] }],
            }),
          ),
        ]);
        await txn.commit();
      }
    } finally {
      await producer.disconnect();
    }
    const elapsedMs = Date.now() - started;
    const retried = concurrentTransactionsRetries() - before;
    console.log(
      `[smoke] ${TRANSACTIONS} transactions back to back in ${elapsedMs} ms; ` +
        `${retried} requests asked again after CONCURRENT_TRANSACTIONS`,
    );

    // The race this is about did happen (back to back, most transactions meet it).
    expect(retried).toBeGreaterThan(0);
    // kafkajs' send retrier logs every retried failure ("Failed to send messages: …"); none here.
    expect(logged.map((l) => l.msg).filter((m) => /concurrent|Failed to send/i.test(m))).toEqual(
      [],
    );
    const seen = await readCommitted(testKafka('smoke-concurrent-reader'), [output], {
      expected: TRANSACTIONS,
      settleMs: 1000,
    });
    expect(seen.map((r) => Number(r.value?.toString())).sort((a, b) => a - b)).toEqual(
      Array.from({ length: TRANSACTIONS }, (_, i) => i),
    );
    // The last commit's offset is pending until its marker reaches __consumer_offsets.
    await expect
      .poll(
        async () =>
          (await admin.fetchOffsets({ groupId, topics: [input] }))[0]?.partitions[0]?.offset,
        { timeout: 10_000, interval: 100 },
      )
      .toBe(String(TRANSACTIONS));
  });
});
