// How a Kafka record is shown: JSON-safe, headers as strings, Avro values decoded through the
// registry (Confluent wire format), everything else as exact text, or base64 when not UTF-8.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { FetchedRecord } from '../kafka/records.js';
import { headerValues } from '../record-headers.js';
import { CommandFailed } from './errors.js';

export interface RecordView {
  topic: string;
  partition: number;
  offset: string;
  /** Record timestamp, ISO-8601. */
  timestamp: string;
  key: string | null;
  /** Present when the key is not UTF-8 (then `key` is base64). */
  keyFormat?: 'base64';
  /** Header values as text; a header repeated in the record gives an array. */
  headers: Record<string, string | string[]>;
  /** Decoded Avro object, exact text, base64, or null for a tombstone. */
  value: unknown;
  valueFormat: 'avro' | 'text' | 'base64' | 'null';
  /** Registry id of the writer schema (Avro values). */
  schemaId?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or undefined when the bytes are not valid UTF-8. */
export function textOf(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Confluent wire format: magic byte 0, int32 schema id, Avro binary. */
const isWireFormat = (value: Buffer): boolean => value.length >= 5 && value[0] === 0;

export async function recordView(
  topic: string,
  partition: number,
  message: FetchedRecord,
  registry: SchemaRegistry | undefined,
): Promise<RecordView> {
  const view: RecordView = {
    topic,
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: null,
    headers: headerValues(message.headers),
    value: null,
    valueFormat: 'null',
  };
  if (message.key) {
    const text = textOf(message.key);
    view.key = text ?? message.key.toString('base64');
    if (text === undefined) view.keyFormat = 'base64';
  }
  const value = message.value;
  if (value === null) return view;
  if (registry && isWireFormat(value)) {
    view.schemaId = value.readInt32BE(1);
    try {
      view.value = jsonSafe(await registry.decode(value));
    } catch (err) {
      throw new CommandFailed(
        `cannot decode ${topic}/${partition}/${message.offset} (schema id ${view.schemaId}) through the registry: ${(err as Error).message}`,
      );
    }
    view.valueFormat = 'avro';
    return view;
  }
  const text = textOf(value);
  view.value = text ?? value.toString('base64');
  view.valueFormat = text === undefined ? 'base64' : 'text';
  return view;
}

/** Bytes as base64 and bigints as strings, so any decoded value survives JSON.stringify. */
export function jsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}
