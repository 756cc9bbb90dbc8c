// Transactions back to back on the real broker. The transaction coordinator answers
// CONCURRENT_TRANSACTIONS (1) to the next transaction's first AddPartitionsToTxn or AddOffsetsToTxn
// while it still writes the previous transaction's markers, and (2) to an add that arrives while
// another add of the same transaction is being logged (the transformer sends AddOffsetsToTxn
// alongside the records). Both are asked again within milliseconds
// (services/common/src/kafka/concurrent-transactions.ts), never after kafkajs' retrier back-off:
// createKafka's 100 ms here, which would add that much to every transaction that meets one.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  concurrentTransactionsRetries,
  retryConcurrentTransactions,
} from '../../../services/common/src/kafka/concurrent-transactions.js';
import { createKafka, type Transaction } from '../../../services/common/src/kafka/kafka-client.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { readCommitted, testKafka, uniquePrefix } from '../../helpers/integration.js';

const TRANSACTIONS = 60;

type SendArgs = Parameters<Transaction['send']>[0];
type OffsetsArgs = Parameters<Transaction['sendOffsets']>[0];

describe('transactions back to back: CONCURRENT_TRANSACTIONS is asked again at once', () => {
  const admin = testKafka('smoke-concurrent-admin').admin();
  const prefix = uniquePrefix('smoke-ct');
  const input = `${prefix}in`;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic: input, numPartitions: 1 }]);
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  /**
   * Runs TRANSACTIONS transactions back to back, each writing one record to `output` (3
   * partitions) and committing offset i + 1 of `input` for `groupId` through `step`; checks that
   * every one committed and that kafkajs' retrier never logged a retried send. Returns how many
   * requests were asked again.
   */
  async function backToBack(
    label: string,
    step: (txn: Transaction, record: SendArgs, offsets: OffsetsArgs) => Promise<unknown>,
  ): Promise<number> {
    const output = `${prefix}${label}`;
    const groupId = `${prefix}${label}-group`;
    await createTopicsAndWait(admin, [{ topic: output, numPartitions: 3 }]);
    // The producer's kafkajs log (warn and above, as the services log it), kept in memory.
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line) logged.push((JSON.parse(line) as { msg: string }).msg);
        done();
      },
    });
    const kafka = createKafka({
      brokers: [inject('kafkaBrokers')],
      clientId: `smoke-concurrent-${label}`,
      logger: pino({ level: 'warn' }, sink),
    });
    const producer = kafka.producer({
      transactionalId: `${prefix}${label}-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const before = concurrentTransactionsRetries();
    await producer.connect();
    const started = Date.now();
    try {
      for (let i = 0; i < TRANSACTIONS; i++) {
        const txn = await producer.transaction();
        await step(
          txn,
          {
            topic: output,
            acks: -1,
            messages: [{ key: `k${i}`, value: String(i), partition: i % 3 }],
          },
          {
            consumerGroupId: groupId,
            topics: [{ topic: input, partitions: [{ partition: 0, offset: String(i + 1) }] }],
          },
        );
        await txn.commit();
      }
    } finally {
      await producer.disconnect();
    }
    const elapsedMs = Date.now() - started;
    const retried = concurrentTransactionsRetries() - before;
    console.log(
      `[smoke] ${label}: ${TRANSACTIONS} transactions back to back in ${elapsedMs} ms; ` +
        `${retried} requests asked again after CONCURRENT_TRANSACTIONS`,
    );

    // kafkajs' send retrier logs every retried failure ("Failed to send messages: …"); none here.
    expect(logged.filter((m) => /concurrent|Failed to send/i.test(m))).toEqual([]);
    const seen = await readCommitted(testKafka(`smoke-concurrent-${label}-reader`), [output], {
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
    await admin.deleteTopics({ topics: [output] }).catch(() => undefined);
    return retried;
  }

  it("the first AddPartitionsToTxn after a commit, while the commit's markers are written", async () => {
    const retried = await backToBack('markers', async (txn, record, offsets) => {
      await txn.send(record);
      await retryConcurrentTransactions(() => txn.sendOffsets(offsets));
    });
    // The race did happen: a send right after EndTxn meets the markers being written.
    expect(retried).toBeGreaterThan(0);
  });

  it('AddOffsetsToTxn alongside AddPartitionsToTxn, as the transformer sends them', async () => {
    const retried = await backToBack('alongside', (txn, record, offsets) =>
      Promise.all([txn.send(record), retryConcurrentTransactions(() => txn.sendOffsets(offsets))]),
    );
    expect(retried).toBeGreaterThan(0);
  });
});
