import type { KBroker } from './kafkajs-cluster.js';
import type { NodeRequire } from './node-require.js';

// Flexible-version (KIP-482) requests that this project adds to kafkajs 2.2.4, which encodes only
// the older versions of its requests: the shapes of kafkajs' request definitions, encoder and
// decoder, the readers a flexible response needs (tagged fields, compact arrays), and kafkajs'
// private Broker send. Used by kafkajs-group-metadata.ts (TxnOffsetCommit v3) and
// kafkajs-stable-offsets.ts (OffsetFetch v7).

export interface RequestDefinition<A> {
  versions: string[];
  protocol: (o: { version: number }) => (args: A) => BuiltRequest;
  groupMetadata?: boolean;
}

export interface BuiltRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}

export interface KEncoder {
  writeInt16(v: number): KEncoder;
  writeInt32(v: number): KEncoder;
  writeInt64(v: number | string): KEncoder;
  writeBoolean(v: boolean): KEncoder;
  writeUVarInt(v: number): KEncoder;
  writeUVarIntString(v: string | null): KEncoder;
  writeUVarIntArray(items: KEncoder[] | null): KEncoder;
}
export interface KDecoder {
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarInt(): number;
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KDecoder) => T): T[] | null;
}

export interface KafkajsProtocol {
  Encoder: new () => KEncoder;
  Decoder: new (raw: Buffer) => KDecoder;
  apiKeys: { TxnOffsetCommit: number; OffsetFetch: number };
  failure(code: number): boolean;
  createErrorFromCode(code: number): Error & { type?: string; retriable?: boolean };
}

export const protocolOf = (require: NodeRequire): KafkajsProtocol => ({
  Encoder: require('kafkajs/src/protocol/encoder') as KafkajsProtocol['Encoder'],
  Decoder: require('kafkajs/src/protocol/decoder') as KafkajsProtocol['Decoder'],
  apiKeys: require('kafkajs/src/protocol/requests/apiKeys') as KafkajsProtocol['apiKeys'],
  ...(require('kafkajs/src/protocol/error') as Pick<
    KafkajsProtocol,
    'failure' | 'createErrorFromCode'
  >),
});

/** Skips a flexible version's tagged fields (count, then tag + size + bytes each). */
export function skipTaggedFields(decoder: KDecoder): void {
  const count = decoder.readUVarInt();
  for (let i = 0; i < count; i++) {
    decoder.readUVarInt();
    decoder.offset += decoder.readUVarInt();
  }
}

/**
 * A flexible response's compact array of topics, each `name` and a compact array of partitions
 * read by `readPartition`, every element followed by its tagged fields.
 */
export function readTopics<P>(
  decoder: KDecoder,
  readPartition: (d: KDecoder) => P,
): { topic: string; partitions: P[] }[] {
  return (
    decoder.readUVarIntArray((dt) => {
      const topic = dt.readUVarIntString() ?? '';
      const partitions =
        dt.readUVarIntArray((dp) => {
          const partition = readPartition(dp);
          skipTaggedFields(dp);
          return partition;
        }) ?? [];
      skipTaggedFields(dt);
      return { topic, partitions };
    }) ?? []
  );
}

/** The first partition error of a decoded response, as kafkajs' error object; undefined if none. */
export function firstPartitionError(
  p: KafkajsProtocol,
  topics: { partitions: { errorCode: number }[] }[],
): Error | undefined {
  for (const t of topics)
    for (const part of t.partitions)
      if (p.failure(part.errorCode)) return p.createErrorFromCode(part.errorCode);
  return undefined;
}

const SEND_REQUEST = 'private:Broker:sendRequest';

/** kafkajs' Broker sendRequest (private: reauthentication and connection-closed handling). */
export function sendRequestOf(broker: KBroker): (request: BuiltRequest) => Promise<unknown> {
  const proto = Object.getPrototypeOf(broker) as object;
  const key = Object.getOwnPropertySymbols(proto).find((s) => s.description === SEND_REQUEST);
  const send = key && (broker as unknown as Record<symbol, unknown>)[key];
  if (typeof send !== 'function')
    throw new Error('kafkajs is not the pinned 2.2.4: no sendRequest on its Broker');
  return (request) => (send as (r: BuiltRequest) => Promise<unknown>).call(broker, request);
}
