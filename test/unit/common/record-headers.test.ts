// Header decoding shared by the transformer (first value of each header) and the CLI (all values).
import { describe, expect, it } from 'vitest';
import {
  headerOf,
  headerStrings,
  headerValues,
  rawHeader,
} from '../../../services/common/src/record-headers.js';

describe('record headers', () => {
  it('headerOf gives the first value; headerValues all of them', () => {
    const headers = { a: [Buffer.from('1'), Buffer.from('2')], b: 'x' };
    expect(headerOf(headers, 'a')).toBe('1');
    expect(headerOf(headers, 'zz')).toBeUndefined();
    expect(headerValues(headers)).toEqual({ a: ['1', '2'], b: 'x' });
  });

  it('headerStrings decodes the first value of each header as UTF-8 text', () => {
    expect(
      headerStrings({
        a: Buffer.from('x'),
        b: [Buffer.from('y'), Buffer.from('z')],
        c: 'w',
        d: undefined,
        e: [],
        f: Buffer.from('h\u00e9'),
      }),
    ).toEqual({ a: 'x', b: 'y', c: 'w', f: 'h\u00e9' });
    expect(headerStrings(undefined)).toEqual({});
  });

  it('both decode the same way', () => {
    const headers = { a: Buffer.from([0x68, 0xc3, 0xa9]), b: [Buffer.from('1')] };
    expect(headerStrings(headers)).toEqual({ a: 'hé', b: '1' });
    expect(headerValues(headers)).toEqual({ a: 'hé', b: ['1'] });
  });

  it('rawHeader hands out the stored value without copying', () => {
    const buffer = Buffer.from('evt');
    expect(rawHeader({ 'event-id': buffer }, 'event-id')).toBe(buffer);
    expect(rawHeader({ 'event-id': [buffer] }, 'event-id')).toBe(buffer);
    expect(rawHeader(undefined, 'event-id')).toBeUndefined();
  });
});
