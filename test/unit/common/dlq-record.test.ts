// The ghl.dlq record format: what the transformer writes is what the CLI reads back.
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { dlqEntry } from '../../../services/common/src/ops/dlq-records.js';
import {
  dlqHeaders,
  isDlqHeader,
  parseDlqHeaders,
} from '../../../services/common/src/dlq-record.js';
import { dlqMessage } from '../../../services/transformer/src/eos/record-builders.js';

describe('DLQ record format', () => {
  const failure = {
    reason: 'unmapped_event_type' as const,
    stage: 'map' as const,
    message: 'unmapped event type "LocationUpdate"',
    attempts: 1,
  };
  const failedAt = Date.parse('2026-01-01T00:00:00Z');

  it('round-trips: the headers the transformer writes are the ones the CLI reads', () => {
    const headers = dlqHeaders(
      { 'event-id': 'evt-1', 'event-type': 'LocationUpdate', 'location-id': 'loc_sub_1' },
      failure,
      { topic: 'ghl.raw', partition: 2, offset: '41' },
      failedAt,
    );
    expect(parseDlqHeaders(headers)).toEqual({
      reason: 'unmapped_event_type',
      stage: 'map',
      error: 'unmapped event type "LocationUpdate"',
      source: 'ghl.raw/2/41',
      failedAt: '2026-01-01T00:00:00.000Z',
      attempts: 1,
      truncated: null,
    });
    expect(Object.keys(headers).filter(isDlqHeader).sort()).toEqual(
      [
        'dlq-attempts',
        'dlq-error',
        'dlq-failed-at',
        'dlq-reason',
        'dlq-source',
        'dlq-stage',
      ].sort(),
    );
    expect(isDlqHeader('event-id')).toBe(false);
  });

  it("the CLI's dlq entry of the transformer's DLQ message", () => {
    const written = dlqMessage(
      {
        topic: 'ghl.raw',
        partition: 0,
        offset: '7',
        key: Buffer.from('evt-2'),
        value: Buffer.from('{"type":"INSTALL","companyId":"co_1"}'),
        headers: { 'event-id': Buffer.from('evt-2'), 'event-type': Buffer.from('INSTALL') },
      },
      failure,
      failedAt,
    );
    const toBuffer = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
    const read: KafkaMessage = {
      key: written.key as Buffer,
      value: written.value as Buffer,
      timestamp: String(failedAt),
      attributes: 0,
      offset: '3',
      headers: Object.fromEntries(
        Object.entries(written.headers ?? {}).map(([k, v]) => [k, toBuffer(v)]),
      ),
    };
    expect(dlqEntry('ghl.dlq', 1, read)).toEqual({
      ref: '1:3',
      partition: 1,
      offset: '3',
      address: 'ghl.dlq/1/3',
      timestamp: '2026-01-01T00:00:00.000Z',
      failedAt: '2026-01-01T00:00:00.000Z',
      reason: 'unmapped_event_type',
      stage: 'map',
      attempts: 1,
      error: 'unmapped event type "LocationUpdate"',
      source: 'ghl.raw/0/7',
      eventId: 'evt-2',
      eventType: 'INSTALL',
      locationId: null,
    });
  });
});
