import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from '../../../services/transformer/src/eos/partition-offsets.js';

describe('PartitionOffsets', () => {
  it('starts a new worker at the committed offset, or where kafkajs fetched when none is', () => {
    const fresh = new PartitionOffsets();
    expect(fresh.accept(4n, 9n)).toEqual({ from: 4n });
    const taken = new PartitionOffsets();
    taken.tookOver(6n);
    expect(taken.accept(2n, 9n)).toEqual({ from: 6n });
  });

  it('sends kafkajs back when it fetched past the committed offset', () => {
    const o = new PartitionOffsets();
    o.tookOver(6n);
    expect(o.positioned).toBe(false);
    expect(o.accept(8n, 9n)).toEqual({ seek: 6n });
    expect(o.positioned).toBe(true);
    expect(o.accept(6n, 9n)).toEqual({ from: 6n });
  });

  it('a re-fetch that ends inside what is queued does not move the expectation back', () => {
    const o = new PartitionOffsets();
    o.tookOver(0n);
    expect(o.accept(0n, 9n)).toEqual({ from: 0n });
    expect(o.accept(0n, 4n)).toEqual({ from: 10n });
    expect(o.accept(5n, 11n)).toEqual({ from: 10n });
    expect(o.accept(12n, 12n)).toEqual({ from: 12n });
  });

  it('a fetch past the expected offset skipped offsets with nothing readable', () => {
    const o = new PartitionOffsets();
    o.tookOver(0n);
    o.accept(0n, 3n);
    expect(o.accept(6n, 7n)).toEqual({ from: 6n, skipped: { expected: 4n } });
    expect(o.accept(8n, 8n)).toEqual({ from: 8n });
  });

  it('rewinds to the committed offset, else to the first offset queued', () => {
    const o = new PartitionOffsets();
    expect(o.rewindTarget()).toBeUndefined();
    o.queued('4');
    o.queued('7');
    expect(o.rewindTarget()).toBe(4n);
    o.committedThrough(6n);
    expect(o.rewindTarget()).toBe(6n);
    o.accept(6n, 9n);
    o.rewound(6n);
    expect(o.accept(6n, 9n)).toEqual({ from: 6n });
    o.rewound(undefined);
    expect(o.positioned).toBe(false);
  });

  it('a rebalance is confirmed only by an unchanged committed offset; a takeover clears it', () => {
    const o = new PartitionOffsets();
    o.tookOver(3n);
    o.markRebalanced();
    expect(o.rebalanced).toBe(true);
    expect(o.confirm(5n)).toBe(false);
    expect(o.rebalanced).toBe(true);
    expect(o.confirm(3n)).toBe(true);
    expect(o.rebalanced).toBe(false);
    o.markRebalanced();
    o.tookOver(5n);
    expect(o.rebalanced).toBe(false);
    expect(o.committedNext).toBe(5n);
  });
});
