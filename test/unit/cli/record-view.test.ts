import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { jsonSafe, recordView, textOf } from '../../../services/common/src/ops/record-view.js';

const message = (value: Buffer | null, key: Buffer | null = Buffer.from('k')): KafkaMessage => ({
  key,
  value,
  timestamp: String(Date.parse('2024-06-01T10:00:00Z')),
  attributes: 0,
  offset: '7',
  headers: { a: Buffer.from('1'), b: [Buffer.from('x'), 'y'], c: undefined },
});

describe('recordView', () => {
  it('shows text values exactly, headers as strings, the time as ISO', async () => {
    const body = '{ "event": "contact.created",\n  "x": 1 }';
    const view = await recordView('t', 2, message(Buffer.from(body)), undefined);
    expect(view).toEqual({
      topic: 't',
      partition: 2,
      offset: '7',
      timestamp: '2024-06-01T10:00:00.000Z',
      key: 'k',
      headers: { a: '1', b: ['x', 'y'] },
      value: body,
      valueFormat: 'text',
    });
  });

  it('shows tombstones as null and binary keys/values as base64', async () => {
    expect((await recordView('t', 0, message(null), undefined)).value).toBeNull();
    const binary = Buffer.from([0xff, 0xfe, 0x00]);
    const view = await recordView('t', 0, message(binary, binary), undefined);
    expect(view).toMatchObject({
      key: binary.toString('base64'),
      keyFormat: 'base64',
      value: binary.toString('base64'),
      valueFormat: 'base64',
    });
  });

  it('decodes Confluent wire-format values through the registry and keeps the schema id', async () => {
    const wire = Buffer.from([0, 0, 0, 0, 42, 1, 2]);
    const registry = { decode: async () => ({ id: 'x', raw: Buffer.from('hi'), n: 10n }) };
    const view = await recordView('t', 0, message(wire), registry as never);
    expect(view).toMatchObject({
      valueFormat: 'avro',
      schemaId: 42,
      value: { id: 'x', raw: Buffer.from('hi').toString('base64'), n: '10' },
    });
  });

  it('turns a registry failure into a one-line command failure naming the record', async () => {
    const registry = {
      decode: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    };
    await expect(
      recordView('t', 1, message(Buffer.from([0, 0, 0, 0, 9, 1])), registry as never),
    ).rejects.toThrow(/cannot decode t\/1\/7 \(schema id 9\).*ECONNREFUSED/);
  });
});

describe('helpers', () => {
  it('textOf refuses invalid UTF-8', () => {
    expect(textOf(Buffer.from('héllo'))).toBe('héllo');
    expect(textOf(Buffer.from([0xc3]))).toBeUndefined();
  });

  it('jsonSafe keeps plain values and converts bytes, bigints and dates', () => {
    expect(jsonSafe({ a: [1, 'x', null, { d: new Date(0) }] })).toEqual({
      a: [1, 'x', null, { d: '1970-01-01T00:00:00.000Z' }],
    });
  });
});
