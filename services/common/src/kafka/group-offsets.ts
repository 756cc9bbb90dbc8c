// Commits offsets for a consumer group that has no active members (what `offsets reset` writes).
//
// kafkajs' admin.setOffsets joins the group with a consumer and waits for one fetch cycle of its
// default maxWaitTimeInMs (5 s) before committing; this does the same with a short wait and
// checks the assignment (kafkajs' GROUP_JOIN event and its memberAssignment): if another member
// joined meanwhile, this member does not own every partition and nothing is committed.
import type { Kafka } from './kafka-client.js';
import { CommandFailed } from '../ops/errors.js';

/**
 * Commits `offsets` (partition → next offset to read, a decimal string) of `topic` for consumer
 * group `groupId`, as a short-lived member of the group (100 ms fetch wait, 10 s session and
 * rebalance timeouts) that consumes nothing. Resolves once committed; rejects with CommandFailed,
 * committing nothing, when a partition of `offsets` went to another member, and with the client's
 * error when joining or committing fails. The member always leaves the group.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  offsets: readonly { partition: number; offset: string }[],
): Promise<void> {
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
  });
  let assigned: number[] = [];
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = payload.memberAssignment[topic] ?? [];
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // run() resolves once the member has joined and synced; nothing is consumed or auto-committed.
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    consumer.pause([{ topic }]);
    const missing = offsets.filter((o) => !assigned.includes(o.partition));
    if (missing.length > 0)
      throw new CommandFailed(
        `consumer group ${groupId} got another member while resetting (partitions ${missing.map((m) => m.partition).join(',')} went elsewhere); nothing was changed - stop its consumers and retry`,
      );
    await consumer.commitOffsets(offsets.map((o) => ({ topic, ...o })));
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
