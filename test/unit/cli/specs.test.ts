import { describe, expect, it } from 'vitest';
import { parseCount, parseRate } from '../../../services/cli/src/specs.js';
import { UsageError } from '../../../services/common/src/ops/errors.js';
import {
  collectList,
  parsePartitionOffsets,
  parsePosition,
  parseRecordAddress,
  parseRecordRef,
  parseTime,
} from '../../../services/common/src/ops/specs.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');

describe('parseTime', () => {
  it('reads ISO-8601 with a zone exactly', () => {
    expect(parseTime('2024-06-01T10:00:00Z')).toBe(Date.parse('2024-06-01T10:00:00Z'));
    expect(parseTime('2024-06-01T10:00:00.250+02:00')).toBe(Date.parse('2024-06-01T08:00:00.250Z'));
    expect(parseTime('2024-06-01T10:00:00+0200')).toBe(Date.parse('2024-06-01T08:00:00Z'));
  });

  it('takes a time without a zone, and a bare date, as UTC (never the machine TZ)', () => {
    expect(parseTime('2024-06-01T10:00')).toBe(Date.parse('2024-06-01T10:00:00Z'));
    expect(parseTime('2024-06-01 10:00:00')).toBe(Date.parse('2024-06-01T10:00:00Z'));
    expect(parseTime('2024-06-01')).toBe(Date.parse('2024-06-01T00:00:00Z'));
  });

  it('reads a duration as that long before now', () => {
    expect(parseTime('90s', NOW)).toBe(NOW - 90_000);
    expect(parseTime('15m', NOW)).toBe(NOW - 15 * 60_000);
    expect(parseTime('2h', NOW)).toBe(NOW - 2 * 3_600_000);
    expect(parseTime('7d', NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTime('1.5h', NOW)).toBe(NOW - 5_400_000);
    expect(parseTime('500ms', NOW)).toBe(NOW - 500);
  });

  it.each([
    'yesterday',
    '',
    '2024-13-45',
    '2024-06-01T25:00:00Z',
    '10',
    '-5m',
    '5 m',
    '2024/06/01',
  ])('rejects %j as a usage error', (text) => {
    expect(() => parseTime(text, NOW)).toThrow(UsageError);
  });
});

describe('parsePartitionOffsets', () => {
  it('reads one or several partition:offset pairs', () => {
    expect(parsePartitionOffsets('0:42')).toEqual(new Map([[0, 42n]]));
    expect(parsePartitionOffsets('0:42, 3:7')).toEqual(
      new Map([
        [0, 42n],
        [3, 7n],
      ]),
    );
    expect(parsePartitionOffsets('1:9007199254740993').get(1)).toBe(9007199254740993n);
  });

  it.each(['0', '0:', ':1', 'a:1', '0:-1', '0:1,', '0:1;1:2', '-1:0'])('rejects %j', (text) => {
    expect(() => parsePartitionOffsets(text)).toThrow(UsageError);
  });

  it('rejects a partition given twice', () => {
    expect(() => parsePartitionOffsets('0:1,0:2')).toThrow(/partition 0 is given twice/);
  });
});

describe('parsePosition', () => {
  it('knows earliest and latest (and their aliases)', () => {
    expect(parsePosition('earliest')).toEqual({ kind: 'earliest' });
    expect(parsePosition('BEGINNING')).toEqual({ kind: 'earliest' });
    expect(parsePosition('latest')).toEqual({ kind: 'latest' });
    expect(parsePosition('end')).toEqual({ kind: 'latest' });
  });

  it('tells offsets from times', () => {
    expect(parsePosition('0:5,1:6')).toEqual({
      kind: 'offsets',
      offsets: new Map([
        [0, 5n],
        [1, 6n],
      ]),
    });
    expect(parsePosition('2024-06-01T10:00:00Z')).toEqual({
      kind: 'time',
      ms: Date.parse('2024-06-01T10:00:00Z'),
    });
    expect(parsePosition('2h', NOW)).toEqual({ kind: 'time', ms: NOW - 7_200_000 });
  });

  it('rejects anything else with a message that lists the forms', () => {
    expect(() => parsePosition('soon')).toThrow(
      /earliest, latest, an ISO-8601 time .* partition:offset/,
    );
    expect(() => parsePosition('0:1:2')).toThrow(UsageError);
  });
});

describe('record references', () => {
  it('reads partition:offset and topic/partition/offset', () => {
    expect(parseRecordRef('2:17')).toEqual({ partition: 2, offset: 17n });
    expect(parseRecordRef('t-1.ghl.dlq/2/17')).toEqual({
      topic: 't-1.ghl.dlq',
      partition: 2,
      offset: 17n,
    });
    expect(() => parseRecordRef('2')).toThrow(UsageError);
    expect(() => parseRecordRef('a/b/c')).toThrow(UsageError);
  });

  it('parseRecordAddress reads the dlq-source / replay-of form only', () => {
    expect(parseRecordAddress('ghl.raw/0/5')).toEqual({
      topic: 'ghl.raw',
      partition: 0,
      offset: 5n,
    });
    expect(parseRecordAddress('0:5')).toBeUndefined();
    expect(parseRecordAddress('')).toBeUndefined();
  });
});

describe('counts, rates and lists', () => {
  it('parseCount takes whole numbers at or above the minimum', () => {
    expect(parseCount(1)('20')).toBe(20);
    for (const bad of ['0', '-1', '1.5', 'x', '', '1e3'])
      expect(() => parseCount(1)(bad)).toThrow(UsageError);
  });

  it('parseRate takes positive numbers, fractions included', () => {
    expect(parseRate('1000')).toBe(1000);
    expect(parseRate('0.5')).toBe(0.5);
    for (const bad of ['0', '-3', 'fast', '', 'Infinity'])
      expect(() => parseRate(bad)).toThrow(UsageError);
  });

  it('collectList splits commas and accumulates repeated options', () => {
    expect(collectList('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(collectList('d', ['a'])).toEqual(['a', 'd']);
  });
});
