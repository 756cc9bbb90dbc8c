import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { withClusterRetry, type KBroker } from './kafkajs-cluster.js';
import {
  firstPartitionError,
  protocolOf,
  readTopics,
  sendRequestOf,
  skipTaggedFields,
  type BuiltRequest,
  type KafkajsProtocol,
} from './kafkajs-flexible.js';

/**
 * KIP-447's second request for kafkajs 2.2.4 (the first, TxnOffsetCommit v3, is
 * kafkajs-group-metadata.ts):
 *
 * OffsetFetch v7 with `require_stable` (Kafka 2.5+): while a transaction holding offsets for a
 * partition is still open, the coordinator answers UNSTABLE_OFFSET_COMMIT for it instead of the
 * last committed offset, so a new owner never starts from an offset that the previous owner's
 * pending transaction is about to move. kafkajs implements OffsetFetch v1-v4 only.
 * Protocol: https://kafka.apache.org/protocol#The_Messages_OffsetFetch
 *
 * fetchStableOffsets' Kafka argument comes from services/common/src/kafka/kafkajs.ts, so kafkajs'
 * modules (and this project's patches of them) are loaded by the time it runs.
 */
const moduleRequire = createRequire(import.meta.url);

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
  return withClusterRetry(
    kafka,
    { timeoutMs: args.timeoutMs, backoffMs: UNSTABLE_BACKOFF_MS },
    async (cluster) => {
      const broker = (await cluster.findGroupCoordinator({ groupId: args.groupId })) as KBroker;
      const max = broker.versions?.[p.apiKeys.OffsetFetch]?.maxVersion ?? 0;
      if (max < 7)
        throw Object.assign(
          new Error(`OffsetFetch v${max}: require_stable needs Kafka 2.5+ (v7)`),
          {
            fatal: true,
          },
        );
      const response = (await sendRequestOf(broker)(offsetFetchV7(p, args))) as {
        topics: { partitions: { partition: number; offset: string }[] }[];
      };
      const out = new Map<number, bigint>();
      for (const t of response.topics)
        for (const part of t.partitions) out.set(part.partition, BigInt(part.offset));
      return out;
    },
  );
}
