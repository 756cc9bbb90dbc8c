import { concurrentTransactionsRetrier } from './concurrent-transactions.js';
import type {
  GroupArgs,
  Internals,
  KafkaError,
  Message,
  PartitionResult,
  SendFactory,
  TopicData,
  TopicMessages,
} from './kafkajs-send-messages-types.js';

/**
 * A correct drop-in for kafkajs 2.2.4's producer send (src/producer/sendMessages.js), which can
 * report a send as acknowledged while some of its records were never sent, or send records twice,
 * whenever one send spans partitions led by several brokers (any replicated cluster).
 *
 * kafkajs groups a send's records by partition, sends one produce request per leader broker, and
 * on a retriable failure retries the whole send, skipping the brokers that already answered. Its
 * bookkeeping is per broker, not per partition, which is wrong in three ways:
 *
 * 1. A leader moves (rolling restart, a broker lost): partition P was led by broker A, whose
 *    request failed with NOT_LEADER_OR_FOLLOWER; after the metadata refresh P is led by B. If B
 *    already answered for its own partitions in the same send, the retry skips B, so P's records
 *    go nowhere, and the send resolves as if they were written. In a transaction the commit then
 *    succeeds without them (measured with the Java verifier on a 3-node cluster: 6 of one
 *    transaction's 17 outputs missing after a rolling restart); the ingress answered 200 for
 *    webhooks that never reached ghl.raw.
 * 2. A partition missing from the metadata is dropped from the request without an error.
 * 3. `Promise.all` rejects on the first failed request while the other brokers' requests are still
 *    in flight and not yet marked answered; the retry sends them again (records twice in one
 *    transaction: 751 of 6,000 event IDs on a 3-node cluster, no fault injected).
 *
 * AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS (the previous transaction's markers still
 * being written, or another add of this transaction being logged) is asked again within
 * milliseconds (concurrent-transactions.ts; one 1 s budget per send) rather than after the
 * retrier's back-off, which would hold the whole send.
 *
 * This module keeps kafkajs' request path (partitioner, AddPartitionsToTxn, idempotent sequence
 * numbers, per-broker locks, produce, retry policy and error handling) and changes only the
 * bookkeeping, to what the Java producer does (it tracks each partition's batch, not brokers):
 * records are grouped by partition once (in linear time, unlike kafkajs); an attempt sends every partition that has no
 * acknowledgement yet to its current leader; a partition is done when its leader acknowledged
 * it; every request of an attempt settles before the attempt fails; a partition with no known
 * leader fails the attempt with LEADER_NOT_AVAILABLE (refresh metadata, retry) instead of being
 * skipped. Resending a partition whose earlier request failed reuses its sequence numbers (they
 * are rolled back on failure, as kafkajs does), so an idempotent producer's broker recognises a
 * batch it did append and acknowledges it without writing it again.
 *
 * Shapes (kafkajs' own): the factory gets `{ logger, cluster, partitioner, eosManager, retrier }`
 * and returns `({ acks, timeout, compression, topicMessages }) => Promise<PartitionResult[]>`,
 * one `{ topicName, partition, errorCode, baseOffset, logAppendTime, logStartOffset }` per
 * partition written (none with acks = 0). Errors: the retrier's (KafkaJSNumberOfRetriesExceeded,
 * or a non-retriable error as is).
 *
 * Installed by services/common/src/kafka/kafkajs.ts before any kafkajs module loads (kafkajs' producer
 * captures the module at load), through installSendMessages (kafkajs-send-messages-install.ts).
 * The internals it requires are part of the kafkajs 2.2.4 pin.
 */

/** The kafkajs error code LEADER_NOT_AVAILABLE (retriable, "stale metadata"). */
const LEADER_NOT_AVAILABLE = 5;

const partitionKey = (topic: string, partition: number) => `${partition}\u0000${topic}`;

/**
 * `messages` of `topic` by the partition `partitioner` picks for each (called once per message,
 * in order, as kafkajs does), each partition's in send order: the result of kafkajs'
 * src/producer/groupMessagesPerPartition.js, which copies the partition's array for every message
 * (quadratic in the records per partition; at 2,000 records to one partition ~5% of the
 * transformer's CPU). `{}` when the topic has no partitions.
 */
export function groupByPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupArgs): Record<string, Message[]> {
  const byPartition: Record<string, Message[]> = {};
  if (partitionMetadata.length === 0) return byPartition;
  const pick = partitioner as (args: {
    topic: string;
    partitionMetadata: unknown;
    message: Message;
  }) => number;
  for (const message of messages) {
    const partition = pick({ topic, partitionMetadata, message });
    (byPartition[partition] ??= []).push(message);
  }
  return byPartition;
}

/**
 * A message with this property set (and `partition` and `value: null`) is not produced: its
 * partition is only added to the transaction (AddPartitionsToTxn), so that the transaction's end
 * writes a commit or abort marker there and nothing else. Transactional producers only.
 */
export const ADD_PARTITION_ONLY = Symbol.for('ghl-pipeline.kafkajs.add-partition-only');

const isAddPartitionOnly = (m: Message): boolean =>
  (m as Record<symbol, unknown>)[ADD_PARTITION_ONLY] === true;

/**
 * The partitions of `topicMessages`' ADD_PARTITION_ONLY messages; the rest of the messages. A send
 * without such messages (every send but a sweep's) comes back as it is, copying nothing.
 */
function splitMarkerOnly(topicMessages: TopicMessages[]): [TopicData[], TopicMessages[]] {
  if (!topicMessages.some((t) => t.messages.some(isAddPartitionOnly))) return [[], topicMessages];
  const only: TopicData[] = [];
  const rest: TopicMessages[] = [];
  for (const { topic, messages } of topicMessages) {
    const partitions = new Set<number>();
    const others: Message[] = [];
    for (const m of messages) {
      if (!isAddPartitionOnly(m)) others.push(m);
      else if (m.partition === undefined || m.partition === null)
        throw new Error('an ADD_PARTITION_ONLY message needs a partition');
      else partitions.add(m.partition);
    }
    if (partitions.size > 0)
      only.push({
        topic,
        partitions: [...partitions].map((partition) => ({ partition, messages: [] })),
      });
    if (others.length > 0) rest.push({ topic, messages: others });
  }
  return [only, rest];
}

/** Builds the replacement factory on top of kafkajs' internals (see the module comment). */
export function createSendMessages(internals: Internals): SendFactory {
  const { responseSerializer, createErrorFromCode, staleMetadata } = internals;
  return ({ logger, cluster, partitioner, eosManager, retrier }) =>
    async ({ acks, timeout, compression, topicMessages: requested }) => {
      const [markerOnly, topicMessages] = splitMarkerOnly(requested);
      /** AddPartitionsToTxn asked again on CONCURRENT_TRANSACTIONS, one budget for the send. */
      const addAgain = concurrentTransactionsRetrier();
      if (markerOnly.length > 0) {
        if (!eosManager.isTransactional())
          throw new Error('ADD_PARTITION_ONLY messages need a transactional producer');
        await retrier(() => addAgain(() => eosManager.addPartitionsToTransaction(markerOnly)));
        if (topicMessages.length === 0) return [];
      }
      /** Per topic, its records by partition: decided once, so a retry never moves a record. */
      const grouped = new Map<string, Record<string, Message[]>>();
      /** Partitions whose leader acknowledged them, with the broker's answer (acks = 0: none). */
      const acknowledged = new Map<string, PartitionResult | undefined>();

      const attempt = async (): Promise<void> => {
        await cluster.refreshMetadataIfNecessary();
        const perLeader = new Map<number, TopicData[]>();
        let leaderless = false;
        for (const { topic, messages } of topicMessages) {
          const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
          let byPartition = grouped.get(topic);
          if (!byPartition) {
            if (partitionMetadata.length === 0) {
              logger.debug('Producing to topic without metadata', {
                topic,
                targetTopics: Array.from(cluster.targetTopics ?? []),
              });
              throw new internals.KafkaJSMetadataNotLoaded('Producing to topic without metadata');
            }
            byPartition = groupByPartition({
              topic,
              partitionMetadata,
              messages,
              partitioner,
            });
            grouped.set(topic, byPartition);
          }
          for (const [key, records] of Object.entries(byPartition)) {
            const partition = Number(key);
            if (acknowledged.has(partitionKey(topic, partition))) continue;
            const leader = partitionMetadata.find((p) => p.partitionId === partition)?.leader;
            if (typeof leader !== 'number' || leader < 0) {
              leaderless = true;
              continue;
            }
            const topics = perLeader.get(leader) ?? [];
            perLeader.set(leader, topics);
            let entry = topics.find((t) => t.topic === topic);
            if (!entry) topics.push((entry = { topic, partitions: [] }));
            entry.partitions.push({ partition, messages: records });
          }
        }

        const requests = [...perLeader].map(async ([nodeId, topicData]) => {
          const broker = await cluster.findBroker({ nodeId: String(nodeId) });
          await eosManager.acquireBrokerLock(broker);
          try {
            if (eosManager.isTransactional())
              await addAgain(() => eosManager.addPartitionsToTransaction(topicData));
            for (const { topic, partitions } of topicData) {
              for (const entry of partitions) {
                (entry as Record<string, unknown>).firstSequence = eosManager.getSequence(
                  topic,
                  entry.partition,
                );
                eosManager.updateSequence(topic, entry.partition, entry.messages.length);
              }
            }
            let response: unknown;
            try {
              response = await broker.produce({
                transactionalId: eosManager.isTransactional()
                  ? eosManager.getTransactionalId()
                  : undefined,
                producerId: eosManager.getProducerId(),
                producerEpoch: eosManager.getProducerEpoch(),
                acks,
                timeout,
                compression,
                topicData,
              });
            } catch (e) {
              for (const { topic, partitions } of topicData)
                for (const entry of partitions)
                  eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
              throw e;
            }
            if (acks === 0) {
              for (const { topic, partitions } of topicData)
                for (const { partition } of partitions)
                  acknowledged.set(partitionKey(topic, partition), undefined);
              return;
            }
            for (const result of responseSerializer(response))
              acknowledged.set(partitionKey(result.topicName, result.partition), result);
          } finally {
            await eosManager.releaseBrokerLock(broker);
          }
        });
        // Every request settles before the attempt fails: a retry must know what was answered.
        const settled = await Promise.allSettled(requests);
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        if (leaderless) throw createErrorFromCode(LEADER_NOT_AVAILABLE);
      };

      return retrier(async (bail, retryCount, retryTime) => {
        await cluster.addMultipleTargetTopics(topicMessages.map(({ topic }) => topic));
        try {
          await attempt();
        } catch (err) {
          const e = err as KafkaError;
          if (e.name === 'KafkaJSConnectionClosedError')
            cluster.removeBroker({ host: e.host, port: e.port });
          if (!cluster.isConnected()) {
            logger.debug(`Cluster has disconnected, reconnecting: ${e.message}`, {
              retryCount,
              retryTime,
            });
            await cluster.connect();
            await cluster.refreshMetadata();
            throw e;
          }
          if (
            staleMetadata(e) ||
            e.name === 'KafkaJSMetadataNotLoaded' ||
            e.name === 'KafkaJSConnectionError' ||
            e.name === 'KafkaJSConnectionClosedError' ||
            (e.name === 'KafkaJSProtocolError' && e.retriable)
          ) {
            logger.error(`Failed to send messages: ${e.message}`, { retryCount, retryTime });
            await cluster.refreshMetadata();
            throw e;
          }
          logger.error(`${e.message}`, { retryCount, retryTime });
          if (e.retriable) throw e;
          bail(e);
          return [];
        }
        // In the order of the send's topics, then partitions (kafkajs returned broker order).
        const results: PartitionResult[] = [];
        for (const [topic, byPartition] of grouped)
          for (const key of Object.keys(byPartition)) {
            const result = acknowledged.get(partitionKey(topic, Number(key)));
            if (result) results.push(result);
          }
        return results;
      });
    };
}
