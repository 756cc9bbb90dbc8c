import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import '../../../services/common/src/kafka/kafkajs.js';
import {
  chunkTopicMessages,
  RECORD_BATCH_OVERHEAD,
  recordBytes,
  singleRecordBatchBytes,
} from '../../../services/transformer/src/eos/send-chunks.js';

const msg = (bytes: number): Message => ({ key: 'k', value: Buffer.alloc(bytes) });
const count = (calls: ReturnType<typeof chunkTopicMessages>) =>
  calls.map((call) => call.map((t) => `${t.topic}:${t.messages.length}`).join(' '));

describe('chunkTopicMessages', () => {
  it('keeps everything in one call when it fits', () => {
    const calls = chunkTopicMessages(
      [
        { topic: 'a', messages: [msg(10), msg(10)] },
        { topic: 'b', messages: [msg(10)] },
      ],
      10_000,
    );
    expect(count(calls)).toEqual(['a:2 b:1']);
  });

  it('cuts calls so that none exceeds the byte budget, keeping order', () => {
    const messages = Array.from({ length: 10 }, () => msg(300));
    const calls = chunkTopicMessages([{ topic: 'a', messages }], 1000);
    expect(count(calls)).toEqual(['a:3', 'a:3', 'a:3', 'a:1']);
    expect(calls.flatMap((c) => c.flatMap((t) => t.messages))).toEqual(messages);
  });

  it('caps the records of one topic per call', () => {
    const calls = chunkTopicMessages(
      [
        { topic: 'out', messages: Array.from({ length: 3 }, () => msg(1)) },
        { topic: 'changelog', messages: Array.from({ length: 5 }, () => msg(1)) },
      ],
      1_000_000,
      2,
    );
    expect(count(calls)).toEqual(['out:2', 'out:1 changelog:2', 'changelog:2', 'changelog:1']);
  });

  it('sends a single record larger than the budget on its own', () => {
    const calls = chunkTopicMessages(
      [{ topic: 'a', messages: [msg(10), msg(5000), msg(10)] }],
      1000,
    );
    expect(count(calls)).toEqual(['a:1', 'a:1', 'a:1']);
  });
});

// The worker decides what fits a topic from these sizes, so they must never be below what kafkajs
// really writes (a record the broker then rejects), and not far above it (a record kept out that
// would have fitted).
describe('record sizes against kafkajs’ own encoder', () => {
  const require = createRequire(import.meta.url);
  const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: {
    offsetDelta?: number;
    timestampDelta?: number;
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: Message['headers'];
  }) => { buffer: Buffer };
  const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
    RecordBatch: (b: { records: { buffer: Buffer }[] }) => Promise<{ buffer: Buffer }>;
  };

  const cases: Message[] = [
    { key: null, value: null },
    { key: 'k', value: 'v' },
    { key: 'évènement-1', value: Buffer.alloc(200), headers: { a: 'b', ce_id: Buffer.from('x') } },
    {
      key: 'k',
      value: Buffer.alloc(70_000),
      headers: { many: ['1', '2', '3'], big: 'y'.repeat(300) },
    },
    { key: Buffer.alloc(256), value: Buffer.alloc(1_100_000) },
  ];

  it('counts each record at least as large as kafkajs encodes it, and at most 8 bytes more', () => {
    for (const m of cases) {
      const actual = encodeRecord({
        offsetDelta: 1999,
        timestampDelta: 123_456,
        key: m.key ?? null,
        value: m.value ?? null,
        headers: m.headers,
      }).buffer.length;
      expect(recordBytes(m)).toBeGreaterThanOrEqual(actual);
      expect(recordBytes(m)).toBeLessThanOrEqual(actual + 8);
    }
  });

  it('counts the batch overhead the broker compares with max.message.bytes', async () => {
    const m = cases[2]!;
    const record = encodeRecord({ key: m.key ?? null, value: m.value ?? null, headers: m.headers });
    const batch = await encodeBatch({ records: [record] });
    expect(RECORD_BATCH_OVERHEAD + record.buffer.length).toBe(batch.buffer.length);
    expect(singleRecordBatchBytes(m)).toBeGreaterThanOrEqual(batch.buffer.length);
  });

  it('keeps each topic’s part of a call under that topic’s limit', () => {
    const messages = Array.from({ length: 10 }, () => msg(3000));
    const limits: Record<string, number> = { small: 10_000, big: 1_000_000 };
    const calls = chunkTopicMessages(
      [
        { topic: 'small', messages },
        { topic: 'big', messages },
      ],
      1_000_000,
      Number.POSITIVE_INFINITY,
      (t) => limits[t]!,
    );
    for (const call of calls)
      for (const part of call)
        expect(
          RECORD_BATCH_OVERHEAD + part.messages.reduce((n, m) => n + recordBytes(m), 0),
        ).toBeLessThanOrEqual(limits[part.topic]!);
    expect(count(calls)).toEqual(['small:3', 'small:3', 'small:3', 'small:1 big:10']);
  });
});
