import { describe, expect, it } from 'vitest';
import {
  DedupPartition,
  dedupKey,
  encodeExpiry,
  MARKER_PREFIX,
} from '../../../services/transformer/src/dedup-store.js';

describe('DedupPartition', () => {
  it('knows committed keys until they expire', () => {
    const d = new DedupPartition();
    d.add('a', 1000);
    expect(d.has('a', 999)).toBe(true);
    expect(d.has('a', 1000)).toBe(false);
    expect(d.has('b', 0)).toBe(false);
  });

  it('lists expired keys oldest first, stopping at the first live one and at the limit', () => {
    const d = new DedupPartition();
    d.add('a', 100);
    d.add('b', 200);
    d.add('c', 300);
    expect(d.expired(250, 10)).toEqual(['a', 'b']);
    expect(d.expired(250, 1)).toEqual(['a']);
    expect(d.expired(50, 10)).toEqual([]);
  });

  // Regression guard for the front-is-oldest invariant: re-adding a key must move it to the back.
  it('moves a re-added key to the back so it does not hide expired keys behind it', () => {
    const d = new DedupPartition();
    d.add('a', 100);
    d.add('b', 200);
    d.add('a', 1000);
    expect(d.expired(500, 10)).toEqual(['b']);
  });

  it('restores from changelog records: values set the expiry, tombstones delete', () => {
    const d = new DedupPartition();
    d.restore('a', encodeExpiry(5000));
    d.restore('b', encodeExpiry(6000));
    d.restore('a', null);
    d.restore('c', Buffer.from('not a number'));
    expect(d.size).toBe(1);
    expect(d.has('b', 5999)).toBe(true);
  });

  it('keys replays by replay id and event id, and never collides with markers', () => {
    expect(dedupKey('evt-1', undefined)).toBe('evt-1');
    expect(dedupKey('evt-1', 'r-9')).toBe('replay:r-9:evt-1');
    expect(dedupKey('evt-1', 'r-9').startsWith(MARKER_PREFIX)).toBe(false);
  });
});
