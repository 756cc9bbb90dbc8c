import { describe, expect, it } from 'vitest';
import {
  DedupPartition,
  dedupKey,
  encodeExpiry,
  MARKER_PREFIX,
} from '../../../services/transformer/src/eos/dedup-store.js';

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

describe('DedupPartition against a Map model', () => {
  // A deterministic pseudo-random sequence of adds, re-adds, removals, restores and expiry
  // sweeps, including non-ASCII keys and keys that collide in length; after every step the
  // compact store must answer exactly like a plain Map with insertion order.
  it('agrees with the model through growth, compaction and expiry sweeps', () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const keyOf = (n: number) =>
      n % 7 === 0 ? `é-${n}-ü` : n % 11 === 0 ? `k${n}`.padEnd(30, 'x') : `evt-${n}`;
    const store = new DedupPartition();
    const model = new Map<string, number>();
    let now = 1_000_000;
    for (let step = 0; step < 60_000; step++) {
      now += 1;
      const key = keyOf(Math.floor(random() * 20_000));
      const op = random();
      if (op < 0.55) {
        const expiry = now + Math.floor(random() * 5000);
        store.add(key, expiry);
        model.delete(key);
        model.set(key, expiry);
      } else if (op < 0.7) {
        store.remove(key);
        model.delete(key);
      } else if (op < 0.75) {
        store.restore(key, null);
        model.delete(key);
      } else if (op < 0.8) {
        const expired = store.expired(now, 50);
        const expected: string[] = [];
        for (const [k, e] of model) {
          if (e > now || expected.length >= 50) break;
          expected.push(k);
        }
        expect(expired).toEqual(expected);
        for (const k of expired) {
          store.remove(k);
          model.delete(k);
        }
      }
      expect(store.has(key, now)).toBe((model.get(key) ?? -1) > now);
      if (step % 5000 === 0) expect(store.size).toBe(model.size);
    }
    expect(store.size).toBe(model.size);
    for (const [k, e] of model) expect(store.has(k, e - 1)).toBe(true);
  }, 60_000); // CPU-heavy model check: the default 5 s timed out on a busy 2-core machine

  it('holds a million keys in compact storage', () => {
    const store = new DedupPartition();
    for (let i = 0; i < 1_000_000; i++) store.add(`bench-1a2b3c4d-${i}`, 2_000_000_000_000 + i);
    expect(store.size).toBe(1_000_000);
    expect(store.has('bench-1a2b3c4d-999999', 0)).toBe(true);
    expect(store.has('bench-1a2b3c4d-1000000', 0)).toBe(false);
    // A Map<string, number> needed ~120 MB for these keys in the transformer; this is ~60 MB.
    expect(store.storageBytes / 1e6).toBeLessThan(70);
  }, 60_000);
});
