import { describe, expect, it } from 'vitest';
import { sendOffsetsRetrying } from '../../../services/transformer/src/eos/offsets-retry.js';

const offsets = {
  consumerGroupId: 'g',
  topics: [{ topic: 't', partitions: [{ partition: 0, offset: '1' }] }],
};
const concurrent = Object.assign(new Error('concurrent'), { type: 'CONCURRENT_TRANSACTIONS' });

describe('sendOffsetsRetrying', () => {
  it('asks again while the coordinator answers CONCURRENT_TRANSACTIONS', async () => {
    let calls = 0;
    await sendOffsetsRetrying(async () => {
      if (++calls < 3) throw concurrent;
    }, offsets);
    expect(calls).toBe(3);
  });

  it('fails at once on any other error', async () => {
    let calls = 0;
    const fenced = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
    await expect(
      sendOffsetsRetrying(async () => {
        calls++;
        throw fenced;
      }, offsets),
    ).rejects.toBe(fenced);
    expect(calls).toBe(1);
  });

  it('gives up after its retries', async () => {
    let calls = 0;
    await expect(
      sendOffsetsRetrying(async () => {
        calls++;
        throw concurrent;
      }, offsets),
    ).rejects.toBe(concurrent);
    expect(calls).toBe(13);
  }, 20_000);
});
