import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { withClusterRetry, type KBroker } from './kafkajs-cluster.js';
import {
  protocolOf,
  sendRequestOf,
  skipTaggedFields,
  type BuiltRequest,
  type KafkajsProtocol,
} from './kafkajs-flexible.js';

/**
 * DescribeTransactions (KIP-664, Kafka 3.0+) for kafkajs 2.2.4, which does not have it: what a
 * transaction coordinator holds for one transactional.id. The transformer asks before it fences
 * a partition's producer, to learn how the coordinator decided the last transaction: a producer
 * whose EndTxn answer was lost cannot tell, and InitProducerId (the fence) overwrites the state.
 * Protocol: https://kafka.apache.org/protocol#The_Messages_DescribeTransactions
 */
const moduleRequire = createRequire(import.meta.url);

/** DescribeTransactions' API key (kafkajs' apiKeys table stops before it). */
export const DESCRIBE_TRANSACTIONS_API_KEY = 65;
/** TRANSACTIONAL_ID_NOT_FOUND: the coordinator has no state for the id (never used, or expired). */
const TRANSACTIONAL_ID_NOT_FOUND = 105;
/** COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: the coordinator must be looked up again. */
const COORDINATOR_MOVED = new Set([15, 16]);
/** FindCoordinator's key type for a transactional.id (kafkajs' COORDINATOR_TYPES.TRANSACTION). */
const TRANSACTION_COORDINATOR = 1;
/** Backoff between attempts while the coordinator loads or moves, in ms. */
const BACKOFF_MS = { initial: 50, max: 1000 };

/**
 * A transaction's state as the coordinator names it (Kafka's TransactionState): `Ongoing` until
 * EndTxn; `PrepareCommit` / `PrepareAbort` once the decision is logged and markers are being
 * written; `CompleteCommit` / `CompleteAbort` after; `Empty` after InitProducerId;
 * `PrepareEpochFence` while a newer producer's InitProducerId aborts an ongoing transaction.
 */
export type TransactionState =
  | 'Empty'
  | 'Ongoing'
  | 'PrepareCommit'
  | 'PrepareAbort'
  | 'CompleteCommit'
  | 'CompleteAbort'
  | 'PrepareEpochFence'
  | 'Dead';

/** One transactional.id as its coordinator describes it. */
export interface TransactionDescription {
  state: TransactionState;
  /** Producer id and epoch of the transaction's producer (kafkajs keeps ids as numbers). */
  producerId: string;
  producerEpoch: number;
  /** The partitions of the open transaction (empty once it completed), `topic/partition`. */
  partitions: string[];
}

function describeTransactionsV0(p: KafkajsProtocol, transactionalId: string): BuiltRequest {
  return {
    request: {
      apiKey: DESCRIBE_TRANSACTIONS_API_KEY,
      apiVersion: 0,
      apiName: 'DescribeTransactions',
      encode: async () =>
        new p.Encoder()
          .writeUVarInt(0)
          .writeUVarIntArray([new p.Encoder().writeUVarIntString(transactionalId)])
          .writeUVarInt(0),
    },
    response: {
      decode: async (raw: Buffer) => {
        const d = new p.Decoder(raw);
        skipTaggedFields(d);
        d.readInt32(); // throttle_time_ms
        const states =
          d.readUVarIntArray((ds) => {
            const errorCode = ds.readInt16();
            ds.readUVarIntString(); // transactional_id
            const state = (ds.readUVarIntString() ?? '') as TransactionState;
            ds.readInt32(); // transaction_timeout_ms
            ds.readInt64(); // transaction_start_time_ms
            const producerId = ds.readInt64().toString();
            const producerEpoch = ds.readInt16();
            const partitions: string[] = [];
            ds.readUVarIntArray((dt) => {
              const topic = dt.readUVarIntString() ?? '';
              dt.readUVarIntArray((dp) => partitions.push(`${topic}/${dp.readInt32()}`));
              skipTaggedFields(dt);
              return topic;
            });
            skipTaggedFields(ds);
            return { errorCode, state, producerId, producerEpoch, partitions };
          }) ?? [];
        skipTaggedFields(d);
        return states;
      },
      parse: async (data: unknown) => data,
    },
  };
}

/**
 * How `transactionalId`'s coordinator describes it, or undefined when it has no state for it
 * (TRANSACTIONAL_ID_NOT_FOUND). Finds the transaction coordinator (FindCoordinator, key type 1),
 * sends DescribeTransactions v0, and retries coordinator loads and moves and lost connections
 * (50 ms doubling to 1 s) until `timeoutMs`. Errors: the last error after `timeoutMs`; a
 * non-retriable protocol error as kafkajs builds it; an Error when the broker has no
 * DescribeTransactions (Kafka < 3.0).
 */
export async function describeTransaction(
  kafka: Kafka,
  transactionalId: string,
  timeoutMs: number,
): Promise<TransactionDescription | undefined> {
  const p = protocolOf(moduleRequire);
  let moved = false;
  return withClusterRetry(kafka, { timeoutMs, backoffMs: BACKOFF_MS }, async (cluster) => {
    // After a coordinator error in the answer (not one the cached broker saw), ask the cluster
    // again: the coordinator cache (kafkajs-coordinator-cache.ts) only drops what its broker threw.
    type Find = (a: object) => Promise<unknown>;
    const cached = cluster.findGroupCoordinator as Find & { uncached?: Find };
    const find = moved && cached.uncached ? cached.uncached.bind(cluster) : cached.bind(cluster);
    const broker = (await find({
      groupId: transactionalId,
      coordinatorType: TRANSACTION_COORDINATOR,
    })) as KBroker;
    if (!broker.versions?.[DESCRIBE_TRANSACTIONS_API_KEY])
      throw Object.assign(new Error('the broker has no DescribeTransactions (Kafka < 3.0)'), {
        fatal: true,
      });
    const [entry] = (await sendRequestOf(broker)(describeTransactionsV0(p, transactionalId))) as ({
      errorCode: number;
    } & TransactionDescription)[];
    if (!entry) throw new Error('DescribeTransactions answered no state');
    if (entry.errorCode === TRANSACTIONAL_ID_NOT_FOUND) return undefined;
    moved = COORDINATOR_MOVED.has(entry.errorCode);
    if (p.failure(entry.errorCode)) throw p.createErrorFromCode(entry.errorCode);
    const { state, producerId, producerEpoch, partitions } = entry;
    return { state, producerId, producerEpoch, partitions };
  });
}
