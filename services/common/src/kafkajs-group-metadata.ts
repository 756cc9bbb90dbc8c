import { createRequire } from 'node:module';
import type { Kafka, Transaction } from 'kafkajs';
import { acquireCluster, type KBroker } from './kafkajs-cluster.js';
import type { NodeRequire } from './node-require.js';

/**
 * KIP-447 ("Producer scalability for exactly once semantics") for kafkajs 2.2.4: the two requests
 * that let one transactional producer commit offsets for many partitions, fenced by the consumer
 * group instead of by one transactional.id per input partition.
 *
 * 1. TxnOffsetCommit v3 (Kafka 2.5+) carries the consumer's group metadata: generation id, member
 *    id and group instance id. The group coordinator then rejects the offsets of a member that is
 *    no longer in the group's current generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 *    FENCED_INSTANCE_ID), so a zombie that lost its partitions in a rebalance cannot commit a
 *    transaction's offsets for them; its transaction must then abort. kafkajs implements only
 *    v0 and v1, without those fields (src/protocol/requests/txnOffsetCommit). The Java client
 *    sends them from `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`.
 *    Protocol: https://kafka.apache.org/protocol#The_Messages_TxnOffsetCommit
 * 2. OffsetFetch v7 with `require_stable` (Kafka 2.5+): while a transaction holding offsets for a
 *    partition is still open, the coordinator answers UNSTABLE_OFFSET_COMMIT for it instead of the
 *    last committed offset, so a new owner never starts from an offset that the previous owner's
 *    pending transaction is about to move. kafkajs implements OffsetFetch v1-v4 only.
 *    Protocol: https://kafka.apache.org/protocol#The_Messages_OffsetFetch
 *
 * installTxnOffsetCommitV3 adds version 3 to kafkajs' own TxnOffsetCommit definition, so kafkajs'
 * transactional producer negotiates it like any version. A request carries group metadata only
 * when it was sent through sendOffsetsToTransaction below; otherwise v3 goes with generation -1
 * and an empty member id, which the coordinator treats exactly like v0/v1 (no generation check).
 */
/**
 * For fetchStableOffsets: its Kafka argument comes from services/common/src/kafkajs.ts, so
 * kafkajs' modules (and this project's patches of them) are loaded by the time it runs.
 */
const moduleRequire = createRequire(import.meta.url);

export const TXN_OFFSET_COMMIT_MODULE = 'kafkajs/src/protocol/requests/txnOffsetCommit/index.js';

/** What a group member knows about its membership (Java: ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  /** The generation the member joined (JoinGroup response), ≥ 0. */
  generationId: number;
  /** The member id the coordinator assigned. */
  memberId: string;
  /** Static membership id (KIP-345), null when not used. */
  groupInstanceId?: string | null;
}

/** kafkajs' TxnOffsetCommit offsets: `offset` is the next offset to read, as a decimal string. */
export interface TxnOffsetTopic {
  topic: string;
  partitions: { partition: number; offset: string; metadata?: string | null }[];
}

interface TxnOffsetCommitArgs {
  transactionalId: string;
  groupId: string;
  producerId: number | string;
  producerEpoch: number;
  topics: TxnOffsetTopic[];
}

interface RequestDefinition<A> {
  versions: string[];
  protocol: (o: { version: number }) => (args: A) => BuiltRequest;
  groupMetadata?: boolean;
}

interface BuiltRequest {
  request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}

interface KEncoder {
  writeInt16(v: number): KEncoder;
  writeInt32(v: number): KEncoder;
  writeInt64(v: number | string): KEncoder;
  writeBoolean(v: boolean): KEncoder;
  writeUVarInt(v: number): KEncoder;
  writeUVarIntString(v: string | null): KEncoder;
  writeUVarIntArray(items: KEncoder[] | null): KEncoder;
}
interface KDecoder {
  offset: number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarInt(): number;
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KDecoder) => T): T[] | null;
}

/** The group metadata of TxnOffsetCommit requests, keyed by their `topics` array. */
const metadataOfTopics = new WeakMap<object, ConsumerGroupMetadata>();

interface KafkajsProtocol {
  Encoder: new () => KEncoder;
  Decoder: new (raw: Buffer) => KDecoder;
  apiKeys: { TxnOffsetCommit: number; OffsetFetch: number };
  failure(code: number): boolean;
  createErrorFromCode(code: number): Error & { type?: string; retriable?: boolean };
}

const protocolOf = (require: NodeRequire): KafkajsProtocol => ({
  Encoder: require('kafkajs/src/protocol/encoder') as KafkajsProtocol['Encoder'],
  Decoder: require('kafkajs/src/protocol/decoder') as KafkajsProtocol['Decoder'],
  apiKeys: require('kafkajs/src/protocol/requests/apiKeys') as KafkajsProtocol['apiKeys'],
  ...(require('kafkajs/src/protocol/error') as Pick<
    KafkajsProtocol,
    'failure' | 'createErrorFromCode'
  >),
});

/** Skips a flexible version's tagged fields (count, then tag + size + bytes each). */
function skipTaggedFields(decoder: KDecoder): void {
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
function readTopics<P>(
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
function firstPartitionError(
  p: KafkajsProtocol,
  topics: { partitions: { errorCode: number }[] }[],
): Error | undefined {
  for (const t of topics)
    for (const part of t.partitions)
      if (p.failure(part.errorCode)) return p.createErrorFromCode(part.errorCode);
  return undefined;
}

/** TxnOffsetCommit v3 (flexible): request header tagged fields first, then the body. */
function txnOffsetCommitV3(p: KafkajsProtocol) {
  return (args: TxnOffsetCommitArgs): BuiltRequest => {
    const group = metadataOfTopics.get(args.topics);
    return {
      request: {
        apiKey: p.apiKeys.TxnOffsetCommit,
        apiVersion: 3,
        apiName: 'TxnOffsetCommit',
        encode: async () =>
          new p.Encoder()
            .writeUVarInt(0) // request header v2 tagged fields
            .writeUVarIntString(args.transactionalId)
            .writeUVarIntString(args.groupId)
            .writeInt64(args.producerId)
            .writeInt16(args.producerEpoch)
            .writeInt32(group?.generationId ?? -1)
            .writeUVarIntString(group?.memberId ?? '')
            .writeUVarIntString(group?.groupInstanceId ?? null)
            .writeUVarIntArray(
              args.topics.map((t) =>
                new p.Encoder()
                  .writeUVarIntString(t.topic)
                  .writeUVarIntArray(
                    t.partitions.map((part) =>
                      new p.Encoder()
                        .writeInt32(part.partition)
                        .writeInt64(part.offset)
                        .writeInt32(-1) // committed leader epoch: unknown
                        .writeUVarIntString(part.metadata ?? null)
                        .writeUVarInt(0),
                    ),
                  )
                  .writeUVarInt(0),
              ),
            )
            .writeUVarInt(0),
      },
      response: {
        decode: async (raw: Buffer) => {
          const d = new p.Decoder(raw);
          skipTaggedFields(d); // response header v1
          const throttleTime = d.readInt32();
          const topics = readTopics(d, (dp) => ({
            partition: dp.readInt32(),
            errorCode: dp.readInt16(),
          }));
          return { throttleTime, topics };
        },
        parse: async (data: unknown) => {
          const err = firstPartitionError(p, (data as { topics: [] }).topics);
          if (err) throw err;
          return data;
        },
      },
    };
  };
}

/**
 * Adds TxnOffsetCommit v3 to kafkajs' request definition (in place: kafkajs looks the versions up
 * at every request). Returns true when it is active (now or before). Throws when the module is not
 * the pinned kafkajs 2.2.4 one (versions other than 0 and 1).
 */
export function installTxnOffsetCommitV3(require: NodeRequire): boolean {
  const definition = require(TXN_OFFSET_COMMIT_MODULE) as RequestDefinition<TxnOffsetCommitArgs>;
  if (definition.groupMetadata) return true;
  if (definition.versions.join(',') !== '0,1')
    throw new Error(`${TXN_OFFSET_COMMIT_MODULE} is not the pinned kafkajs 2.2.4 (versions 0, 1)`);
  const p = protocolOf(require);
  const original = definition.protocol;
  const v3 = txnOffsetCommitV3(p);
  definition.protocol = ({ version }) => {
    if (version >= 3) return v3;
    // A broker older than Kafka 2.5 (no v3): kafkajs' own v0/v1, which cannot carry the
    // generation, so a request that was to be fenced by it must fail instead of going unfenced.
    const older = original({ version: Math.min(version, 1) });
    return (args) => {
      if (metadataOfTopics.has(args.topics))
        throw new Error(
          `TxnOffsetCommit v${version} cannot carry consumer group metadata: the broker needs Kafka 2.5+ (v3)`,
        );
      return older(args);
    };
  };
  definition.versions.push('3');
  definition.groupMetadata = true;
  return true;
}

/**
 * kafkajs' `transaction.sendOffsets` (AddOffsetsToTxn, then TxnOffsetCommit to the group
 * coordinator) with the consumer's group metadata in the TxnOffsetCommit (v3): the commit of
 * these offsets is rejected unless `group` is the group's current generation and member.
 * Errors: kafkajs' protocol errors, e.g. ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID (this member is
 * fenced: abort the transaction), or an Error when the broker has no TxnOffsetCommit v3.
 * Needs installTxnOffsetCommitV3 (services/common/src/kafkajs.ts installs it).
 */
export async function sendOffsetsToTransaction(
  transaction: Transaction,
  args: { consumerGroupId: string; topics: TxnOffsetTopic[] },
  group: ConsumerGroupMetadata,
): Promise<void> {
  // A fresh array per call: kafkajs hands this very array to the TxnOffsetCommit builder.
  const topics = args.topics.map((t) => ({ ...t }));
  metadataOfTopics.set(topics, { ...group });
  await transaction.sendOffsets({ consumerGroupId: args.consumerGroupId, topics });
}

/** Backoff between OffsetFetch attempts answered UNSTABLE_OFFSET_COMMIT, in ms. */
const UNSTABLE_BACKOFF_MS = { initial: 20, max: 500 };

/** OffsetFetch v7 (flexible) for one topic's partitions of one group, require_stable set. */
function offsetFetchV7(
  p: KafkajsProtocol,
  args: { groupId: string; topic: string; partitions: number[] },
): BuiltRequest {
  return {
    request: {
      apiKey: p.apiKeys.OffsetFetch,
      apiVersion: 7,
      apiName: 'OffsetFetch',
      encode: async () =>
        new p.Encoder()
          .writeUVarInt(0)
          .writeUVarIntString(args.groupId)
          .writeUVarIntArray([
            new p.Encoder()
              .writeUVarIntString(args.topic)
              .writeUVarIntArray(args.partitions.map((n) => new p.Encoder().writeInt32(n)))
              .writeUVarInt(0),
          ])
          .writeBoolean(true) // require_stable
          .writeUVarInt(0),
    },
    response: {
      decode: async (raw: Buffer) => {
        const d = new p.Decoder(raw);
        skipTaggedFields(d);
        const throttleTime = d.readInt32();
        const topics = readTopics(d, (dp) => {
          const partition = dp.readInt32();
          const offset = dp.readInt64().toString();
          dp.readInt32(); // committed leader epoch
          dp.readUVarIntString(); // metadata
          return { partition, offset, errorCode: dp.readInt16() };
        });
        const errorCode = d.readInt16();
        skipTaggedFields(d);
        return { throttleTime, topics, errorCode };
      },
      parse: async (data: unknown) => {
        const r = data as { topics: []; errorCode: number };
        if (p.failure(r.errorCode)) throw p.createErrorFromCode(r.errorCode);
        const err = firstPartitionError(p, r.topics);
        if (err) throw err;
        return data;
      },
    },
  };
}

const SEND_REQUEST = 'private:Broker:sendRequest';

/** kafkajs' Broker sendRequest (private: reauthentication and connection-closed handling). */
function sendRequestOf(broker: KBroker): (request: BuiltRequest) => Promise<unknown> {
  const proto = Object.getPrototypeOf(broker) as object;
  const key = Object.getOwnPropertySymbols(proto).find((s) => s.description === SEND_REQUEST);
  const send = key && (broker as unknown as Record<symbol, unknown>)[key];
  if (typeof send !== 'function')
    throw new Error('kafkajs is not the pinned 2.2.4: no sendRequest on its Broker');
  return (request) => (send as (r: BuiltRequest) => Promise<unknown>).call(broker, request);
}

/**
 * The committed offsets (next offset to read; -1n when none) of `partitions` of `topic` for
 * `groupId`, as OffsetFetch v7 with require_stable answers them: while an open transaction holds
 * offsets for one of these partitions, the coordinator answers UNSTABLE_OFFSET_COMMIT and this
 * asks again (20 ms doubling to 500 ms) until `timeoutMs`. Coordinator moves are retried the
 * same way. Errors: the last error after `timeoutMs`; an Error when the broker has no OffsetFetch
 * v7 (Kafka < 2.5).
 */
export async function fetchStableOffsets(
  kafka: Kafka,
  args: { groupId: string; topic: string; partitions: number[]; timeoutMs: number },
): Promise<Map<number, bigint>> {
  const p = protocolOf(moduleRequire);
  const { cluster, release } = await acquireCluster(kafka);
  const deadline = Date.now() + args.timeoutMs;
  let wait = UNSTABLE_BACKOFF_MS.initial;
  try {
    for (;;) {
      try {
        const broker = (await cluster.findGroupCoordinator({ groupId: args.groupId })) as KBroker;
        const max = broker.versions?.[p.apiKeys.OffsetFetch]?.maxVersion ?? 0;
        if (max < 7)
          throw Object.assign(
            new Error(`OffsetFetch v${max}: require_stable needs Kafka 2.5+ (v7)`),
            { fatal: true },
          );
        const response = (await sendRequestOf(broker)(offsetFetchV7(p, args))) as {
          topics: { partitions: { partition: number; offset: string }[] }[];
        };
        const out = new Map<number, bigint>();
        for (const t of response.topics)
          for (const part of t.partitions) out.set(part.partition, BigInt(part.offset));
        return out;
      } catch (err) {
        const e = err as { retriable?: boolean; fatal?: boolean; name?: string };
        const retriable = !e.fatal && (e.retriable === true || /Connection/.test(e.name ?? ''));
        if (!retriable || Date.now() + wait > deadline) throw err;
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, UNSTABLE_BACKOFF_MS.max);
      }
    }
  } finally {
    await release();
  }
}
