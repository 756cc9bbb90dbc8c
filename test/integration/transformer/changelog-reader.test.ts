// The dedup changelog reader against the real broker: a restore replays one partition up to the
// new owner's marker, and a restore asked while the reader's consumer is down (crashed, waiting
// for its supervisor) completes once the consumer runs again instead of failing the takeover.
import type { Consumer, ConsumerRunConfig, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import { ChangelogReader } from '../../../services/transformer/src/eos/changelog-reader.js';
import { DedupPartition, encodeExpiry } from '../../../services/transformer/src/eos/dedup-store.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';

describe('ChangelogReader', () => {
  const kafka = testKafka('changelog-reader-test');
  const logger = createLogger('changelog-reader-test', 'silent');
  const expiry = Date.now() + 3_600_000;
  let fresh: FreshTopics;
  let producer: Producer;
  let reader: ChangelogReader;

  /** Commits `keys` (null value = tombstone) then a fresh marker to changelog `partition`. */
  const writeThenMark = async (partition: number, keys: [string, Buffer | null][]) => {
    const marker = ChangelogReader.newMarker();
    const txn = await producer.transaction();
    await txn.send({
      topic: fresh.names.dedup,
      messages: [
        ...keys.map(([key, value]) => ({ key, value, partition })),
        { key: marker, value: null, partition },
      ],
    });
    await txn.commit();
    return marker;
  };

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 2, label: 'changelog' });
    producer = kafka.producer({
      transactionalId: `${fresh.prefix}changelog-writer`,
      maxInFlightRequests: 1,
      idempotent: true,
    });
    await producer.connect();
    reader = new ChangelogReader(kafka, fresh.names.dedup, fresh.prefix, logger);
    await reader.start();
  });
  afterAll(async () => {
    await reader?.stop();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('replays a partition up to the marker: keys added, tombstoned keys gone', async () => {
    const marker = await writeThenMark(0, [
      ['a', encodeExpiry(expiry)],
      ['b', encodeExpiry(expiry)],
      ['a', null],
    ]);
    const state = new DedupPartition();
    expect(await reader.restore(0, marker, state, 15_000)).toBe(3);
    expect(state.has('a', Date.now())).toBe(false);
    expect(state.has('b', Date.now())).toBe(true);
    expect(state.size).toBe(1);
  });

  it('waits for a stopped consumer to run again instead of failing the restore', async () => {
    const marker = await writeThenMark(1, [
      ['c', encodeExpiry(expiry)],
      ['d', encodeExpiry(expiry)],
    ]);
    // A crashed kafkajs consumer is a stopped one: no consumer group, so seek/resume throw until
    // its supervisor runs it again (connect + run with the same configuration).
    const internals = reader as unknown as { consumer: Consumer; runConfig: ConsumerRunConfig };
    await internals.consumer.stop();
    const state = new DedupPartition();
    let settled: string | undefined;
    const restoring = reader.restore(1, marker, state, 30_000).then(
      (n) => (settled = `restored ${n}`),
      (err: Error) => (settled = `failed: ${err.message}`),
    );
    await sleep(1500);
    expect(settled, 'the restore must wait while the consumer is down').toBeUndefined();
    await internals.consumer.run(internals.runConfig);
    await restoring;
    expect(settled).toBe('restored 2');
    expect(state.has('c', Date.now()) && state.has('d', Date.now())).toBe(true);
    // Partition 0 stays restorable after the restart (paused again, read from the start).
    const again = new DedupPartition();
    const marker0 = await writeThenMark(0, [['e', encodeExpiry(expiry)]]);
    expect(await reader.restore(0, marker0, again, 15_000)).toBe(4);
    expect(again.has('b', Date.now()) && again.has('e', Date.now())).toBe(true);
  });
});
