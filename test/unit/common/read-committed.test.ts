import { describe, expect, it } from 'vitest';
import { AbortedTransactions } from '../../../services/common/src/kafka/read-committed.js';

describe('AbortedTransactions (the read_committed rule)', () => {
  it('activates aborted transactions by first offset, whatever the order the broker lists them in', () => {
    // P1 writes at 0-1 (T1), P2 at 2 (T2); T2's abort marker comes first, so the broker lists it first.
    const t = new AbortedTransactions([
      { producerId: 2n, firstOffset: 2n },
      { producerId: 1n, firstOffset: 0n },
    ]);
    t.reach(1n); // batch 0-1 of P1
    expect(t.isAborted(1n)).toBe(true);
    expect(t.isAborted(2n)).toBe(false); // not reached yet
    t.reach(2n); // batch 2 of P2
    expect(t.isAborted(2n)).toBe(true);
    t.reach(3n); // P2's ABORT marker
    t.abortMarker(2n);
    expect(t.isAborted(2n)).toBe(false);
    expect(t.isAborted(1n)).toBe(true);
    t.reach(4n); // P1's ABORT marker
    t.abortMarker(1n);
    expect(t.isAborted(1n)).toBe(false);
  });

  it('compares offsets exactly beyond 2^53, numbers and BigInts alike', () => {
    const big = 2n ** 60n;
    const t = new AbortedTransactions([{ producerId: '7', firstOffset: big + 1n }]);
    t.reach(big);
    expect(t.isAborted('7')).toBe(false);
    t.reach(big + 1n);
    expect(t.isAborted('7')).toBe(true);
    const mixed = new AbortedTransactions([{ producerId: '8', firstOffset: 5 }]);
    mixed.reach(5n);
    expect(mixed.isAborted('8')).toBe(true);
  });
});
