import { describe, expect, it } from 'vitest';
import {
  isFencingError,
  isGroupMembershipError,
} from '../../../services/transformer/src/kafka-errors.js';

const protocolError = (type: string) => Object.assign(new Error(type), { type });

describe('kafka error classification', () => {
  it('recognises fencing, also when kafkajs wraps it after retries', () => {
    expect(isFencingError(protocolError('INVALID_PRODUCER_EPOCH'))).toBe(true);
    expect(isFencingError(protocolError('PRODUCER_FENCED'))).toBe(true);
    const wrapped = Object.assign(new Error('retries exceeded'), {
      originalError: protocolError('INVALID_PRODUCER_EPOCH'),
    });
    expect(isFencingError(wrapped)).toBe(true);
    expect(isFencingError(new Error('x', { cause: protocolError('PRODUCER_FENCED') }))).toBe(true);
    expect(isFencingError(protocolError('CONCURRENT_TRANSACTIONS'))).toBe(false);
    expect(isFencingError(undefined)).toBe(false);
  });

  // Regression: kafkajs does not export isRebalancing, and importing it gave `undefined`, so
  // every rebalance crashed the consumer (it restarted, but slowly and loudly).
  it('recognises the group errors kafkajs must see to rejoin', () => {
    for (const type of [
      'REBALANCE_IN_PROGRESS',
      'NOT_COORDINATOR_FOR_GROUP',
      'ILLEGAL_GENERATION',
      'UNKNOWN_MEMBER_ID',
    ]) {
      expect(isGroupMembershipError(protocolError(type))).toBe(true);
    }
    expect(isGroupMembershipError(protocolError('INVALID_PRODUCER_EPOCH'))).toBe(false);
  });
});
