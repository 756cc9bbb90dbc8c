import { describe, expect, it } from 'vitest';
import {
  matchesFilter,
  rawFields,
  rewriteHeaders,
} from '../../../services/common/src/ops/raw-fields.js';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('rawFields', () => {
  it('prefers the ingress headers', () => {
    expect(
      rawFields({
        key: Buffer.from('key-id'),
        value: body({ event: 'contact.created', locationId: 'loc_body' }),
        headers: {
          'event-id': 'hdr-id',
          'event-type': 'ContactCreate',
          'location-id': Buffer.from('loc_hdr'),
        },
      }),
    ).toEqual({ eventId: 'hdr-id', eventType: 'ContactCreate', locationId: 'loc_hdr' });
  });

  it('falls back to the key and the body (seed "event", GHL "type", locationId)', () => {
    expect(
      rawFields({
        key: Buffer.from('key-id'),
        value: body({ event: 'contact.created', locationId: 'loc_1' }),
        headers: {},
      }),
    ).toEqual({ eventId: 'key-id', eventType: 'contact.created', locationId: 'loc_1' });
    expect(
      rawFields({
        key: null,
        value: body({ type: 'ContactCreate', locationId: 'l' }),
        headers: {},
      }),
    ).toEqual({ eventId: undefined, eventType: 'ContactCreate', locationId: 'l' });
  });

  it('copes with bodies that are not JSON objects', () => {
    for (const value of [null, Buffer.from('{trunc'), body([1]), body('s'), Buffer.alloc(0)])
      expect(rawFields({ key: null, value, headers: undefined })).toEqual({
        eventId: undefined,
        eventType: undefined,
        locationId: undefined,
      });
  });
});

describe('rewriteHeaders', () => {
  it('drops the named headers, keeps the rest byte for byte, adds new ones', () => {
    const original = Buffer.from([0xde, 0xad]);
    const out = rewriteHeaders(
      { keep: original, 'replay-id': 'old', 'dlq-reason': 'x', gone: undefined },
      (n) => n === 'replay-id' || n.startsWith('dlq-'),
      { 'replay-id': 'new' },
    );
    expect(out).toEqual({ keep: original, 'replay-id': 'new' });
    expect(out.keep).toBe(original);
  });
});

describe('matchesFilter', () => {
  const fields = { eventId: 'e', eventType: 'ContactCreate', locationId: 'loc_1' };
  it('matches when every given filter has the value among its list', () => {
    expect(matchesFilter(fields, {})).toBe(true);
    expect(matchesFilter(fields, { types: ['contact.created', 'ContactCreate'] })).toBe(true);
    expect(matchesFilter(fields, { types: ['ContactCreate'], locations: ['loc_2'] })).toBe(false);
    expect(matchesFilter({ ...fields, eventType: undefined }, { types: ['ContactCreate'] })).toBe(
      false,
    );
  });
});
