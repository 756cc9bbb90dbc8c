import type { Transaction } from 'kafkajs';
import {
  firstPartitionError,
  protocolOf,
  readTopics,
  skipTaggedFields,
  type BuiltRequest,
  type KafkajsProtocol,
  type RequestDefinition,
} from './kafkajs-flexible.js';
import type { NodeRequire } from './node-require.js';

export { fetchStableOffsets } from './kafkajs-stable-offsets.js';

/**
 * KIP-447 ("Producer scalability for exactly once semantics") for kafkajs 2.2.4: the requests
 * that let one transactional producer commit offsets for many partitions, fenced by the consumer
 * group instead of by one transactional.id per input partition. The second, OffsetFetch v7 with
 * require_stable, is kafkajs-stable-offsets.ts; the flexible-version plumbing kafkajs-flexible.ts.
 *
 * TxnOffsetCommit v3 (Kafka 2.5+) carries the consumer's group metadata: generation id, member
 * id and group instance id. The group coordinator then rejects the offsets of a member that is
 * no longer in the group's current generation (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID), so a zombie that lost its partitions in a rebalance cannot commit a
 * transaction's offsets for them; its transaction must then abort. kafkajs implements only
 * v0 and v1, without those fields (src/protocol/requests/txnOffsetCommit). The Java client
 * sends them from `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`.
 * Protocol: https://kafka.apache.org/protocol#The_Messages_TxnOffsetCommit
 *
 * installTxnOffsetCommitV3 adds version 3 to kafkajs' own TxnOffsetCommit definition, so kafkajs'
 * transactional producer negotiates it like any version. A request carries group metadata only
 * when it was sent through sendOffsetsToTransaction below; otherwise v3 goes with generation -1
 * and an empty member id, which the coordinator treats exactly like v0/v1 (no generation check).
 */
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

/** The group metadata of TxnOffsetCommit requests, keyed by their `topics` array. */
const metadataOfTopics = new WeakMap<object, ConsumerGroupMetadata>();

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
 * Needs installTxnOffsetCommitV3 (services/common/src/kafka/kafkajs.ts installs it).
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
