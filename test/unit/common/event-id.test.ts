import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  contentHash,
  deriveEventId,
} from '../../../services/common/src/event-id.js';

const seed = {
  event: 'contact.created',
  locationId: 'loc_123',
  companyId: 'comp_456',
  timestamp: '2024-01-03T10:30:00Z',
  data: { id: 'contact_789', email: 'john@example.com' },
  metadata: { webhookId: 'web_123', attempt: 1, deliveredAt: '2024-01-03T10:30:05Z' },
};

describe('deriveEventId (docs/architecture.md)', () => {
  it('takes a top-level eventId first', () => {
    expect(deriveEventId({ ...seed, eventId: 'evt_1', webhookId: 'wh_1' })).toEqual({
      eventId: 'evt_1',
      source: 'eventId',
    });
  });

  it('takes a top-level webhookId (real GHL dedup key) when there is no eventId', () => {
    expect(
      deriveEventId({ type: 'ContactCreate', locationId: 'l', id: 'c', webhookId: 'wh_9' }),
    ).toEqual({ eventId: 'wh_9', source: 'webhookId' });
  });

  it('never uses metadata.webhookId (the subscription) nor the entity id', () => {
    const { eventId, source } = deriveEventId(seed);
    expect(source).toBe('content-hash');
    expect(eventId).not.toContain('web_123');
    expect(eventId).not.toContain('contact_789');
    expect(eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('hashes the canonical JSON without metadata.attempt and metadata.deliveredAt', () => {
    const expected = createHash('sha256')
      .update(canonicalJson({ ...seed, metadata: { webhookId: 'web_123' } }))
      .digest('hex');
    expect(deriveEventId(seed).eventId).toBe(`sha256:${expected}`);
  });

  it('gives a retry of the same event the same id (attempt, deliveredAt, key order and spacing differ)', () => {
    const retry = JSON.parse(
      JSON.stringify({
        metadata: { deliveredAt: '2024-01-03T10:40:05Z', attempt: 2, webhookId: 'web_123' },
        data: { email: 'john@example.com', id: 'contact_789' },
        timestamp: seed.timestamp,
        companyId: seed.companyId,
        locationId: seed.locationId,
        event: seed.event,
      }),
    ) as Record<string, unknown>;
    expect(deriveEventId(retry).eventId).toBe(deriveEventId(seed).eventId);
  });

  it('gives different events different ids', () => {
    const other = { ...seed, data: { ...seed.data, email: 'jane@example.com' } };
    expect(deriveEventId(other).eventId).not.toBe(deriveEventId(seed).eventId);
    const otherTime = { ...seed, timestamp: '2024-01-03T10:31:00Z' };
    expect(deriveEventId(otherTime).eventId).not.toBe(deriveEventId(seed).eventId);
  });

  it('keeps other metadata fields in the hash', () => {
    const other = { ...seed, metadata: { ...seed.metadata, webhookId: 'web_999' } };
    expect(deriveEventId(other).eventId).not.toBe(deriveEventId(seed).eventId);
  });

  it('trims ids, accepts numeric ids, and falls through on empty, non-scalar or over-long ids', () => {
    expect(deriveEventId({ eventId: '  evt_2 ' }).eventId).toBe('evt_2');
    expect(deriveEventId({ eventId: 42 })).toEqual({ eventId: '42', source: 'eventId' });
    expect(deriveEventId({ eventId: '', webhookId: 'wh' })).toEqual({
      eventId: 'wh',
      source: 'webhookId',
    });
    expect(deriveEventId({ eventId: { id: 1 }, webhookId: 'wh' }).source).toBe('webhookId');
    expect(deriveEventId({ eventId: 'x'.repeat(257) }).source).toBe('content-hash');
    expect(deriveEventId({ eventId: 'x'.repeat(256) }).source).toBe('eventId');
    expect(deriveEventId({ eventId: Number.NaN }).source).toBe('content-hash');
  });

  it('hashes a body without metadata, or with a non-object metadata, as it is', () => {
    const plain = { event: 'a', locationId: 'l' };
    expect(contentHash(plain)).toBe(
      createHash('sha256').update('{"event":"a","locationId":"l"}').digest('hex'),
    );
    const odd = { event: 'a', metadata: 'x' };
    expect(contentHash(odd)).toBe(
      createHash('sha256').update('{"event":"a","metadata":"x"}').digest('hex'),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ 'k"': 'é\n' })).toBe('{"k\\"":"é\\n"}');
  });
});
