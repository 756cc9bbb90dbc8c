import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import { Murmur2Partitioner } from '../../../common/src/kafka/partitioner.js';
import type { Logger } from '../../../common/src/logger.js';
import { domainTopicNames } from '../../../common/src/topics.js';
import type { InstanceTransactionsDeps } from './participant.js';
import { sweepDecisionOf, sweepOpenTransactions, type SweepTarget } from './transaction-sweep.js';

/**
 * A new producer for the instance's transactional.id, fenced and swept: DescribeTransactions says
 * how the id's last transaction was decided (InitProducerId overwrites that), then the producer's
 * first transaction sends InitProducerId (a new epoch, which aborts the id's open transaction) and
 * is the sweep (transaction-sweep.ts) over every partition the instance may have written: every
 * output, DLQ and changelog partition, and the group's offsets partition. Throws what kafkajs
 * throws, after disconnecting the producer.
 */
export async function fencedProducer(
  deps: Pick<InstanceTransactionsDeps, 'kafka' | 'admin' | 'transactions' | 'names' | 'settings'>,
  log: Logger,
): Promise<Producer> {
  const { transactionalId, transactionTimeoutMs, groupId } = deps.settings;
  const producer = deps.kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    createPartitioner: Murmur2Partitioner,
    // Retriable failures (a leader moving, a coordinator loading) are retried from 10 ms, not
    // kafkajs' 300 ms. CONCURRENT_TRANSACTIONS reaches it only after a send has spent
    // 1 s asking again every few milliseconds (concurrent-transactions.ts).
    retry: { initialRetryTime: 10, multiplier: 1.5, maxRetryTime: 500, retries: 12 },
  });
  try {
    await producer.connect();
    const targets = await sweepTargets(deps);
    const last = await deps.transactions.describe(transactionalId);
    const decision = sweepDecisionOf(last);
    await sweepOpenTransactions(producer, targets, decision, groupId);
    log.info({ last: last?.state ?? 'none', swept: decision }, 'fenced and swept');
    return producer;
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
}

/** Every partition of the output topics, the DLQ and the changelog: where the instance may have written. */
async function sweepTargets({
  names,
  admin,
}: Pick<InstanceTransactionsDeps, 'names' | 'admin'>): Promise<SweepTarget[]> {
  const topics = [...domainTopicNames(names), names.dlq, names.dedup];
  const metadata = await admin.fetchTopicMetadata({ topics });
  return metadata.topics.map((t) => ({
    topic: t.name,
    partitions: t.partitions.map((p) => p.partitionId),
  }));
}
