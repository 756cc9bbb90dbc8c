// FindCoordinator round trips of a transactional producer against the real broker: kafkajs looks
// the transaction and group coordinators up again for every step of every transaction; with the
// cache (services/common/src/kafka/kafkajs-coordinator-cache.ts) a run of transactions asks once per
// coordinator, and its transactions still commit (outputs and offsets counted after).
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_MODULE } from '../../../services/common/src/kafka/kafkajs-coordinator-cache.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { readCommitted, testKafka, uniquePrefix } from '../../helpers/integration.js';

const require = createRequire(import.meta.url);
const Cluster = require(CLUSTER_MODULE) as {
  prototype: { findGroupCoordinator: { uncached?: unknown } };
};

describe('coordinator lookups per transaction', () => {
  const kafka = testKafka('coordinator-cache');
  const admin = kafka.admin();
  const prefix = uniquePrefix('coord');
  const input = `${prefix}in`;
  const output = `${prefix}out`;
  const TRANSACTIONS = 5;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 2 },
    ]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  });

  /** Runs TRANSACTIONS transactions (send + sendOffsets + commit); returns FindCoordinator count. */
  async function run(label: string): Promise<number> {
    const producer = kafka.producer({
      transactionalId: `${prefix}${label}-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    let lookups = 0;
    producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'GroupCoordinator' || payload.apiName === 'FindCoordinator')
        lookups++;
    });
    await producer.connect();
    try {
      for (let i = 0; i < TRANSACTIONS; i++) {
        const txn = await producer.transaction();
        await txn.send({
          topic: output,
          messages: [
            { key: `${label}-a${i}`, value: label, partition: 0 },
            { key: `${label}-b${i}`, value: label, partition: 1 },
          ],
        });
        await txn.sendOffsets({
          consumerGroupId: `${prefix}${label}-group`,
          topics: [{ topic: input, partitions: [{ partition: 0, offset: String(i + 1) }] }],
        });
        await txn.commit();
      }
    } finally {
      await producer.disconnect();
    }
    return lookups;
  }

  it('asks once per coordinator with the cache, for every transaction step without it', async () => {
    const cached = await run('cached');
    const proto = Cluster.prototype;
    const patched = proto.findGroupCoordinator;
    expect(typeof patched.uncached, 'the cache is installed').toBe('function');
    proto.findGroupCoordinator = patched.uncached as typeof patched;
    let uncached: number;
    try {
      uncached = await run('uncached');
    } finally {
      proto.findGroupCoordinator = patched;
    }
    console.log(
      `[coordinator-cache] FindCoordinator requests for ${TRANSACTIONS} transactions: ${cached} with the cache, ${uncached} without`,
    );
    // InitProducerId's lookup, then one per coordinator: transaction + group.
    expect(cached).toBeLessThanOrEqual(3);
    expect(uncached).toBeGreaterThanOrEqual(3 * TRANSACTIONS);

    const outputs = await readCommitted(kafka, [output], {
      expected: 4 * TRANSACTIONS,
      settleMs: 1000,
    });
    expect(outputs).toHaveLength(4 * TRANSACTIONS);
    for (const label of ['cached', 'uncached']) {
      const offsets = await admin.fetchOffsets({
        groupId: `${prefix}${label}-group`,
        topics: [input],
      });
      expect(offsets[0]?.partitions[0]?.offset).toBe(String(TRANSACTIONS));
    }
  });
});
