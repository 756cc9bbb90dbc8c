import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  isFencingError,
  isGroupMembershipError,
  isKafkaClientError,
  isRetriableKafkaError,
  isSizeError,
  permanentRecordErrorType,
} from '../../../services/common/src/kafka/kafka-errors.js';

// kafkajs' own error classes (loaded after the project's patches, as the services load it).
await import('../../../services/common/src/kafka/kafkajs.js');
const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof KafkaJS;

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

  it('names the broker errors that reject a record for good, also when wrapped, and nothing transient', () => {
    for (const type of [
      'MESSAGE_TOO_LARGE',
      'RECORD_LIST_TOO_LARGE',
      'INVALID_RECORD',
      'POLICY_VIOLATION',
    ])
      expect(permanentRecordErrorType(protocolError(type))).toBe(type);
    const wrapped = Object.assign(new Error('retries exceeded'), {
      originalError: protocolError('MESSAGE_TOO_LARGE'),
    });
    expect(permanentRecordErrorType(new Error('x', { cause: wrapped }))).toBe('MESSAGE_TOO_LARGE');
    for (const type of [
      'NOT_LEADER_FOR_PARTITION',
      'REQUEST_TIMED_OUT',
      'CONCURRENT_TRANSACTIONS',
      'INVALID_PRODUCER_EPOCH',
    ])
      expect(permanentRecordErrorType(protocolError(type))).toBeUndefined();
    expect(permanentRecordErrorType(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(isSizeError('MESSAGE_TOO_LARGE')).toBe(true);
    expect(isSizeError('INVALID_RECORD')).toBe(false);
  });

  it('tells a Kafka client error from any other (the CLI prefix, the console code)', () => {
    expect(isKafkaClientError(new kafkajs.KafkaJSError('x'))).toBe(true);
    expect(isKafkaClientError(new kafkajs.KafkaJSConnectionError('refused'))).toBe(true);
    expect(isKafkaClientError(new kafkajs.KafkaJSNonRetriableError('x'))).toBe(true);
    expect(isKafkaClientError(new Error('x'))).toBe(false);
    expect(isKafkaClientError(new Error('x', { cause: new kafkajs.KafkaJSError('y') }))).toBe(
      false,
    );
    expect(isKafkaClientError(undefined)).toBe(false);
  });

  it('retries what kafkajs marks retriable and its connection, timeout and metadata errors', () => {
    expect(isRetriableKafkaError(new kafkajs.KafkaJSError('x', { retriable: true }))).toBe(true);
    expect(isRetriableKafkaError(new kafkajs.KafkaJSConnectionError('refused'))).toBe(true);
    expect(isRetriableKafkaError(new kafkajs.KafkaJSRequestTimeoutError('slow'))).toBe(true);
    expect(isRetriableKafkaError(new kafkajs.KafkaJSError('x', { retriable: false }))).toBe(false);
    expect(isRetriableKafkaError(new kafkajs.KafkaJSNonRetriableError('x'))).toBe(false);
    expect(isRetriableKafkaError(new Error('Connection refused'))).toBe(false);
    expect(isRetriableKafkaError(undefined)).toBe(false);
  });
});
