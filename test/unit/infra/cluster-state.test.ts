// The coordinator lookup must match the brokers' own arithmetic, or the cluster fault suite would
// kill the wrong node and the "coordinator" rows would test nothing in particular.
import { describe, expect, it } from 'vitest';
import {
  busiest,
  coordinatorPartition,
  javaStringHash,
} from '../../../infra/local-stack/cluster-state.js';

describe('cluster-state', () => {
  it("computes Java's String.hashCode, overflow included", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('abc')).toBe(96354);
    // Values Java prints for these strings (32-bit overflow, negative results).
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(javaStringHash('transformer-group')).toBe(-1526046517);
  });

  it('maps keys to partitions like Utils.abs(hashCode) % n', () => {
    expect(coordinatorPartition('polygenelubricants', 6)).toBe(0);
    expect(coordinatorPartition('abc', 6)).toBe(96354 % 6);
    expect(coordinatorPartition('transformer-group', 50)).toBe(1526046517 % 50);
  });

  it('picks the node with the most, lowest id on ties, never -1', () => {
    expect(
      busiest(
        new Map([
          [2, 1],
          [1, 1],
          [3, 1],
        ]),
      ),
    ).toBe(1);
    expect(
      busiest(
        new Map([
          [2, 2],
          [1, 1],
        ]),
      ),
    ).toBe(2);
    expect(
      busiest(
        new Map([
          [-1, 5],
          [3, 1],
        ]),
      ),
    ).toBe(3);
    expect(busiest(new Map())).toBeUndefined();
  });
});
