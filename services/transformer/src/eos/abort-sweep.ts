import type { Message, Producer, TopicMessages } from 'kafkajs';
import { chunkTopicMessages } from './send-chunks.js';

/**
 * Where an aborted transaction wrote: one tombstone per topic and explicit partition or key of
 * its records, so that a transaction sending them lands on exactly the partitions it did (keyed
 * records go through the same partitioner). Built up over several aborted transactions until a
 * sweep succeeds.
 *
 * Why: Kafka can end a transaction without writing its markers to some of its partitions. Its
 * transaction coordinator skips a partition whose leader it cannot find, taking it for a deleted
 * topic (TransactionMarkerChannelManager logs "Couldn't find leader endpoint for partitions …
 * these partitions are likely deleted already and hence can be skipped"). That happens when the
 * only broker fences itself after a long pause (a 10 s SIGSTOP past broker.session.timeout.ms),
 * for the ~100 ms its partitions have no leader. The aborted transaction's records then stay open
 * on those partitions, and the next marker of the same producer id there decides them: the next
 * commit of this partition's transactional.id would make the aborted outputs visible next to
 * their retry (a duplicate, seen in the broker-sigstop fault scenario). An aborted transaction
 * swept with this set before the next commit ends those records aborted.
 */
export class AbortSweep {
  private readonly byTopic = new Map<string, Map<string, Message>>();

  /** Adds the partitions `topicMessages` (an aborted transaction's sends) may have written to. */
  add(topicMessages: readonly { topic: string; messages: readonly Message[] }[]): void {
    for (const { topic, messages } of topicMessages) {
      let slots = this.byTopic.get(topic);
      if (!slots) this.byTopic.set(topic, (slots = new Map<string, Message>()));
      for (const m of messages) {
        const slot =
          m.partition !== undefined && m.partition !== null
            ? `p${m.partition}`
            : `k${m.key === null || m.key === undefined ? '' : Buffer.from(m.key).toString('latin1')}`;
        if (!slots.has(slot))
          slots.set(slot, { key: m.key ?? null, value: null, partition: m.partition });
      }
    }
  }

  get empty(): boolean {
    return this.byTopic.size === 0;
  }

  /** Distinct (topic, partition or key) slots held. */
  get size(): number {
    let n = 0;
    for (const slots of this.byTopic.values()) n += slots.size;
    return n;
  }

  /** The tombstones, per topic, that the sweep transaction sends. */
  topicMessages(): TopicMessages[] {
    return [...this.byTopic].map(([topic, slots]) => ({ topic, messages: [...slots.values()] }));
  }

  /** Merges `other` into this one. */
  merge(other: AbortSweep | undefined): this {
    if (other)
      for (const [topic, slots] of other.byTopic) {
        let mine = this.byTopic.get(topic);
        if (!mine) this.byTopic.set(topic, (mine = new Map<string, Message>()));
        for (const [slot, m] of slots) if (!mine.has(slot)) mine.set(slot, m);
      }
    return this;
  }
}

/**
 * Sends `sweep`'s tombstones in one transaction of `producer` (fenced already: a fresh
 * InitProducerId of the same transactional.id, so the same producer id) and aborts it: its abort
 * markers end whatever an earlier aborted transaction left open on those partitions. The
 * tombstones are aborted too: no read_committed consumer sees them. Throws what kafkajs throws;
 * the caller keeps the sweep for the next attempt.
 */
export async function sweepAborted(
  producer: Pick<Producer, 'transaction'>,
  sweep: AbortSweep,
  limitOf: (topic: string) => number,
  maxSendBytes: number,
  maxRecordsPerTopic: number,
): Promise<void> {
  const txn = await producer.transaction();
  try {
    for (const call of chunkTopicMessages(
      sweep.topicMessages(),
      maxSendBytes,
      maxRecordsPerTopic,
      limitOf,
    ))
      await txn.sendBatch({ topicMessages: call, acks: -1 });
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
  await txn.abort();
}
