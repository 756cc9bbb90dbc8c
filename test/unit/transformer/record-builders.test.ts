import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, OUTPUT_HEADERS } from '../../../services/common/src/record-headers.js';
import {
  dlqMessage,
  headerStrings,
  outputMessage,
  rawHeader,
} from '../../../services/transformer/src/eos/record-builders.js';

const asText = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v);

describe('outputMessage', () => {
  it('carries CloudEvents binary-mode headers, content-type and traceparent', () => {
    const m = outputMessage({
      key: 'contact_1',
      value: Buffer.from([0, 0, 0, 0, 7]),
      eventId: Buffer.from('evt-1'),
      type: 'neuronx.contact.ingested',
      occurredAt: Date.parse('2024-01-03T10:30:00Z'),
      locationId: 'loc_1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(m.key).toBe('contact_1');
    const headers = Object.fromEntries(
      Object.entries(m.headers ?? {}).map(([k, v]) => [k, asText(v)]),
    );
    expect(headers).toEqual({
      [OUTPUT_HEADERS.specversion]: '1.0',
      [OUTPUT_HEADERS.id]: 'evt-1',
      [OUTPUT_HEADERS.source]: '/ghl/locations/loc_1',
      [OUTPUT_HEADERS.type]: 'neuronx.contact.ingested',
      [OUTPUT_HEADERS.time]: '2024-01-03T10:30:00.000Z',
      [OUTPUT_HEADERS.contentType]: 'application/avro',
      [OUTPUT_HEADERS.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
  });

  it('leaves traceparent out when the raw record had none', () => {
    const m = outputMessage({
      key: 'k',
      value: Buffer.alloc(1),
      eventId: 'e',
      type: 't',
      occurredAt: 0,
      locationId: 'l',
      traceparent: undefined,
    });
    expect(Object.keys(m.headers ?? {})).not.toContain(OUTPUT_HEADERS.traceparent);
  });
});

describe('dlqMessage', () => {
  it('keeps the raw key, bytes and headers and adds the dlq-* headers', () => {
    const value = Buffer.from('{"broken":');
    const m = dlqMessage(
      {
        topic: 'ghl.raw',
        partition: 2,
        offset: '41',
        key: Buffer.from('evt-9'),
        value,
        headers: { 'event-id': Buffer.from('evt-9'), 'request-id': 'r1' },
      },
      { reason: 'invalid_json', stage: 'parse', message: 'x'.repeat(5000), attempts: 1 },
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(m.key?.toString()).toBe('evt-9');
    expect(m.value).toBe(value);
    const h = m.headers ?? {};
    expect(asText(h['event-id'])).toBe('evt-9');
    expect(h['request-id']).toBe('r1');
    expect(h[DLQ_HEADERS.reason]).toBe('invalid_json');
    expect(h[DLQ_HEADERS.stage]).toBe('parse');
    expect(h[DLQ_HEADERS.source]).toBe('ghl.raw/2/41');
    expect(h[DLQ_HEADERS.failedAt]).toBe('2026-01-01T00:00:00.000Z');
    expect(h[DLQ_HEADERS.attempts]).toBe('1');
    expect(String(h[DLQ_HEADERS.error])).toHaveLength(1000);
  });
});

describe('header access', () => {
  it('decodes the first value of each header as a string', () => {
    expect(
      headerStrings({
        a: Buffer.from('x'),
        b: [Buffer.from('y'), Buffer.from('z')],
        c: 'w',
        d: undefined,
      }),
    ).toEqual({ a: 'x', b: 'y', c: 'w' });
    expect(headerStrings(undefined)).toEqual({});
  });

  it('hands out raw header buffers without copying', () => {
    const buffer = Buffer.from('evt');
    expect(rawHeader({ 'event-id': buffer }, 'event-id')).toBe(buffer);
    expect(rawHeader(undefined, 'event-id')).toBeUndefined();
  });
});
