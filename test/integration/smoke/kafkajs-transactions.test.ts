// Smoke test of the riskiest dependency pairing: kafkajs 2.2.4 (unmaintained) transactions on the
// pinned broker. If a broker upgrade breaks them, this is the test that says so.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_VERSION } from '../../../infra/local-stack/versions.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { readCommitted, stackEnv, testKafka, uniquePrefix } from '../../helpers/integration.js';

describe(`kafkajs 2.2.4 transactions against the real broker (Kafka ${KAFKA_VERSION} when local)`, () => {
  const kafka = testKafka('smoke-txn');
  const admin = kafka.admin();
  const prefix = uniquePrefix('smoke');
  const input = `${prefix}in`;
  const output = `${prefix}out`;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [
      { topic: input, numPartitions: 2 },
      { topic: output, numPartitions: 1 },
    ]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('shows committed transactions and hides aborted ones from a read_committed consumer', async () => {
    expect(stackEnv().brokers).toMatch(/:\d+$/);
    const producer = kafka.producer({
      transactionalId: `${prefix}tx-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({ topic: output, messages: [{ key: 'k', value: 'committed-1' }] });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({ topic: output, messages: [{ key: 'k', value: 'aborted' }] });
      await aborted.abort();

      const second = await producer.transaction();
      await second.send({ topic: output, messages: [{ key: 'k', value: 'committed-2' }] });
      await second.commit();
    } finally {
      await producer.disconnect();
    }
    const seen = await readCommitted(kafka, [output], { expected: 2, settleMs: 1000 });
    expect(seen.map((r) => r.value?.toString())).toEqual(['committed-1', 'committed-2']);
  });

  it('commits consumer offsets with sendOffsets only when the transaction commits', async () => {
    const groupId = `${prefix}group`;
    const producer = kafka.producer({
      transactionalId: `${prefix}tx-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: '7' }] }],
      });
      await aborted.abort();
      const afterAbort = await admin.fetchOffsets({ groupId, topics: [input] });
      expect(afterAbort[0]?.partitions.find((p) => p.partition === 0)?.offset).toBe('-1');

      const txn = await producer.transaction();
      await txn.send({ topic: output, messages: [{ value: 'with-offsets' }] });
      await txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: '42' }] }],
      });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    // EndTxn returns once the commit is decided; the transaction coordinator writes the commit
    // marker to __consumer_offsets after that, and only then does OffsetFetch show the offset.
    // Read-after-commit is therefore eventually consistent: wait (bounded) for it.
    let partitions: { partition: number; offset: string }[] = [];
    const deadline = Date.now() + 10_000;
    do {
      const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
      partitions = offsets[0]?.partitions ?? [];
      if (partitions.find((p) => p.partition === 0)?.offset === '42') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(partitions.find((p) => p.partition === 0)?.offset).toBe('42');
    expect(partitions.find((p) => p.partition === 1)?.offset).toBe('-1');
  });

  // kafkajs quirk: producer.connect() does not send InitProducerId for the transactional id; the
  // first transaction() does. So a new owner fences the old one when it begins its first
  // transaction, not when it connects (the transformer relies on this order).
  it('fences the previous producer when a new one begins a transaction with the same transactional.id', async () => {
    const transactionalId = `${prefix}fence-${randomUUID()}`;
    const zombie = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    const owner = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([zombie.connect(), owner.connect()]);
    try {
      const open = await zombie.transaction();
      await open.send({ topic: output, messages: [{ value: 'zombie-write' }] });
      const txn = await owner.transaction(); // InitProducerId: bumps the epoch, aborts the zombie's transaction
      await expect(open.commit()).rejects.toThrow();
      await txn.send({ topic: output, messages: [{ value: 'owner-write' }] });
      await txn.commit();
    } finally {
      await Promise.all([zombie.disconnect(), owner.disconnect()]);
    }
    const seen = await readCommitted(kafka, [output], { expected: 3, settleMs: 1000 });
    const values = seen.map((r) => r.value?.toString());
    expect(values).toContain('owner-write');
    expect(values).not.toContain('zombie-write');
  });
});
