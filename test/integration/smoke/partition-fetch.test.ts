// The topic reader's Fetch path (services/common/src/kafka/partition-fetch.ts, with its own record batch
// decoder and read_committed filter in services/common/src/kafka/record-batch-decoder.ts) against the
// real broker, compared record for record with the kafkajs consumer path on the same ranges:
// interleaved aborted transactions (the case kafkajs' own filter got wrong), committed
// transactions, plain and gzip batches, repeated headers, null keys and values, ranges starting and
// ending inside a batch, and the needle.
import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes } from '../../../services/common/src/kafka/kafkajs.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import {
  readTopicRange,
  type PartitionRange,
} from '../../../services/common/src/kafka/topic-reader.js';
import { testKafka, uniquePrefix } from '../../helpers/integration.js';

const view = (m: KafkaMessage) => ({
  offset: m.offset,
  timestamp: m.timestamp,
  key: m.key?.toString() ?? null,
  value: m.value?.toString() ?? null,
  headers: Object.fromEntries(
    Object.entries(m.headers ?? {}).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => x?.toString()) : v?.toString(),
    ]),
  ),
});

describe('topic reader, Fetch path (real broker)', () => {
  const kafka = testKafka('smoke-partition-fetch');
  const admin = kafka.admin();
  const prefix = uniquePrefix('pfetch');
  const topic = `${prefix}records`;
  let end = 0n;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, numPartitions: 2 }]);
    const producer = (name: string): Producer =>
      kafka.producer({
        transactionalId: `${prefix}${name}-${randomUUID()}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
    const plain = kafka.producer({ allowAutoTopicCreation: false });
    const [p1, p2, p3] = [producer('p1'), producer('p2'), producer('p3')];
    await Promise.all([p1.connect(), p2.connect(), p3.connect(), plain.connect()]);
    try {
      const m = (i: number, extra: object = {}) => ({
        partition: 0,
        key: `evt-${i}`,
        value: JSON.stringify({ n: i }),
        timestamp: String(1_700_000_000_000 + i * 1000),
        headers: { 'event-id': `evt-${i}`, tag: ['a', 'b'] },
        ...extra,
      });
      await plain.send({ topic, messages: [m(0), m(1), m(2)] });
      const t1 = await p1.transaction();
      await t1.send({ topic, messages: [m(10), m(11)] });
      const t2 = await p2.transaction();
      await t2.send({ topic, messages: [m(20)] });
      await t2.abort();
      await t1.abort();
      const t3 = await p3.transaction();
      await t3.send({ topic, messages: [m(30), m(31)] });
      await t3.commit();
      await plain.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: [m(40), m(41), m(42)],
      });
      await plain.send({
        topic,
        messages: [
          { partition: 0, key: null, value: null, headers: {} },
          m(50, { headers: { 'event-id': 'evt-50' } }),
          m(51),
        ],
      });
    } finally {
      await Promise.all([p1.disconnect(), p2.disconnect(), p3.disconnect(), plain.disconnect()]);
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    end = BigInt(offsets.find((o) => o.partition === 0)!.high);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const read = async (
    ranges: PartitionRange[],
    opts: { via?: 'fetch' | 'consumer'; needle?: string } = {},
  ) => {
    const seen: ReturnType<typeof view>[] = [];
    const result = await readTopicRange(kafka, {
      topic,
      ranges,
      via: opts.via,
      needle: opts.needle === undefined ? undefined : Buffer.from(opts.needle),
      idleMs: 3000,
      onRecord: (_p, message) => {
        seen.push(view(message));
        return true;
      },
    });
    return { seen, result };
  };

  it('reads what the consumer reads: committed records only, every field equal', async () => {
    const ranges = [
      { partition: 0, start: 0n, end },
      { partition: 1, start: 0n, end: 0n },
    ];
    const fetched = await read(ranges);
    const consumed = await read(ranges, { via: 'consumer' });
    expect(fetched.result.reason).toBe('end');
    expect(fetched.seen.map((r) => r.key)).toEqual([
      'evt-0',
      'evt-1',
      'evt-2',
      'evt-30',
      'evt-31',
      'evt-40',
      'evt-41',
      'evt-42',
      null,
      'evt-50',
      'evt-51',
    ]);
    expect(fetched.seen).toEqual(consumed.seen);
    expect(fetched.seen[0]!.headers).toEqual({ 'event-id': 'evt-0', tag: ['a', 'b'] });
    expect(fetched.seen[0]!.timestamp).toBe('1700000000000');
    expect(fetched.result.scanned?.records).toBe(11);
    expect(fetched.result.scanned?.bytes).toBeGreaterThan(0);
  });

  it('starts and ends inside batches', async () => {
    const all = (await read([{ partition: 0, start: 0n, end }])).seen;
    const at = (key: string) => BigInt(all.find((r) => r.key === key)!.offset);
    const from = at('evt-1');
    const to = at('evt-41');
    const part = await read([{ partition: 0, start: from, end: to }]);
    expect(part.seen.map((r) => r.key)).toEqual(['evt-1', 'evt-2', 'evt-30', 'evt-31', 'evt-40']);
    expect(part.result.scanned?.records).toBe(5);
  });

  it('with a needle, hands out only the records holding it, and still counts every record', async () => {
    const hit = await read([{ partition: 0, start: 0n, end }], { needle: 'evt-41' });
    expect(hit.seen.map((r) => r.key)).toEqual(['evt-41']);
    expect(hit.result.scanned?.records).toBe(11);
    const aborted = await read([{ partition: 0, start: 0n, end }], { needle: 'evt-20' });
    expect(aborted.seen).toEqual([]);
    const header = await read([{ partition: 0, start: 0n, end }], { needle: 'evt-50' });
    expect(header.seen.map((r) => r.key)).toEqual(['evt-50']);
  });

  it('stops when onRecord returns false', async () => {
    let n = 0;
    const result = await readTopicRange(kafka, {
      topic,
      ranges: [{ partition: 0, start: 0n, end }],
      onRecord: () => ++n < 3,
    });
    expect(result.reason).toBe('stopped');
    expect(n).toBe(3);
  });
});
