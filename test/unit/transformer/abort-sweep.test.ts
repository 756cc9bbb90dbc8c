import { describe, expect, it } from 'vitest';
import { AbortSweep, sweepAborted } from '../../../services/transformer/src/eos/abort-sweep.js';

describe('AbortSweep', () => {
  it('keeps one tombstone per topic and explicit partition or key, across merged aborts', () => {
    const a = new AbortSweep();
    expect(a.empty).toBe(true);
    a.add([
      {
        topic: 'out',
        messages: [
          { key: 'c-1', value: Buffer.from('x') },
          { key: Buffer.from('c-1'), value: Buffer.from('y') },
          { key: 'c-2', value: Buffer.from('z') },
        ],
      },
      {
        topic: 'dedup',
        messages: [
          { key: 'e-1', value: Buffer.from('1'), partition: 2 },
          { key: 'e-2', value: Buffer.from('2'), partition: 2 },
        ],
      },
    ]);
    const b = new AbortSweep();
    b.add([{ topic: 'out', messages: [{ key: 'c-3', value: Buffer.from('w') }] }]);
    b.add([{ topic: 'dedup', messages: [{ key: 'e-9', value: null, partition: 2 }] }]);
    a.merge(b).merge(undefined);
    expect(a.size).toBe(4);
    expect(a.topicMessages()).toEqual([
      {
        topic: 'out',
        messages: [
          { key: 'c-1', value: null, partition: undefined },
          { key: 'c-2', value: null, partition: undefined },
          { key: 'c-3', value: null, partition: undefined },
        ],
      },
      { topic: 'dedup', messages: [{ key: 'e-1', value: null, partition: 2 }] },
    ]);
  });
});

describe('sweepAborted', () => {
  const sweep = () => {
    const s = new AbortSweep();
    s.add([{ topic: 'out', messages: [{ key: 'k', value: Buffer.from('v') }] }]);
    return s;
  };

  it('sends the tombstones in one transaction and aborts it', async () => {
    const calls: string[] = [];
    const producer = {
      transaction: async () => ({
        sendBatch: async (req: { topicMessages: { topic: string }[] }) =>
          void calls.push(`send ${req.topicMessages.map((t) => t.topic).join()}`),
        abort: async () => void calls.push('abort'),
        commit: async () => void calls.push('commit'),
      }),
    };
    await sweepAborted(producer as never, sweep(), () => 1_000_000, 768 * 1024, 500);
    expect(calls).toEqual(['send out', 'abort']);
  });

  it('aborts and rethrows when a send fails', async () => {
    const calls: string[] = [];
    const producer = {
      transaction: async () => ({
        sendBatch: async () => {
          throw new Error('NOT_LEADER_OR_FOLLOWER');
        },
        abort: async () => void calls.push('abort'),
      }),
    };
    await expect(
      sweepAborted(producer as never, sweep(), () => 1_000_000, 768 * 1024, 500),
    ).rejects.toThrow('NOT_LEADER_OR_FOLLOWER');
    expect(calls).toEqual(['abort']);
  });
});
