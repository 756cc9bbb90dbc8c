import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import { truncateDlqMessage } from '../../../services/transformer/src/eos/dlq-truncation.js';
import { singleRecordBatchBytes } from '../../../services/transformer/src/eos/send-chunks.js';

const dlqHeaders = {
  [DLQ_HEADERS.reason]: 'output_rejected',
  [DLQ_HEADERS.error]: 'INVALID_RECORD: rejected',
  [DLQ_HEADERS.source]: 'ghl.raw/3/1041',
  [DLQ_HEADERS.failedAt]: '2026-11-29T10:00:00.000Z',
  [DLQ_HEADERS.attempts]: '5',
  [DLQ_HEADERS.stage]: 'produce',
};

describe('the last-resort DLQ record', () => {
  const full = {
    key: 'evt-1',
    value: Buffer.alloc(50_000, 'a'),
    headers: {
      ...dlqHeaders,
      [RAW_HEADERS.eventId]: 'evt-1',
      [RAW_HEADERS.eventType]: 'ContactCreate',
      [RAW_HEADERS.signatureScheme]: 'hmac',
      'x-huge-custom-header': 'h'.repeat(20_000),
    },
  };

  it('fits the limit, keeps the dlq-* and identifying headers, says how big the value was', () => {
    for (const limit of [1_000, 4_096, 30_000]) {
      const m = truncateDlqMessage(full, limit);
      expect(singleRecordBatchBytes(m)).toBeLessThanOrEqual(limit);
      expect(m.headers).toMatchObject({ ...dlqHeaders, [RAW_HEADERS.eventId]: 'evt-1' });
      expect(m.headers?.[DLQ_HEADERS.truncated]).toBe('50000');
      expect(m.headers?.['x-huge-custom-header']).toBeUndefined();
      expect(m.headers?.[RAW_HEADERS.signatureScheme]).toBeUndefined();
      expect(m.key).toBe('evt-1');
      // As much of the body as fits: within a few bytes of the limit.
      expect(limit - singleRecordBatchBytes(m)).toBeLessThan(16);
      expect((m.value as Buffer).equals(full.value.subarray(0, (m.value as Buffer).length))).toBe(
        true,
      );
    }
  });

  it('keys a key-less record by its source address (a compacted DLQ refuses key-less records)', () => {
    const m = truncateDlqMessage({ ...full, key: null }, 4_096);
    expect(m.key).toBe('ghl.raw/3/1041');
  });

  it('keeps a small value whole, and returns the smallest record when nothing fits', () => {
    const small = truncateDlqMessage({ ...full, value: Buffer.from('{oops') }, 4_096);
    expect(small.value).toEqual(Buffer.from('{oops'));
    const tiny = truncateDlqMessage(full, 10);
    expect(tiny.value).toEqual(Buffer.alloc(0));
    expect(tiny.key).toBeNull();
  });
});
