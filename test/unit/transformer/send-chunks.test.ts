import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { chunkTopicMessages } from '../../../services/transformer/src/send-chunks.js';

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
