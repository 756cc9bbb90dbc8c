// Commits offsets for a consumer group that has no active members.
//
// kafkajs' admin.setOffsets joins the group with a consumer and waits for one fetch cycle of its
// default maxWaitTimeInMs (5 s) before committing; this does the same with a short wait and
// checks the assignment: if another member joined meanwhile, this member does not own every
// partition and nothing is committed.
import type { Kafka } from '../../common/src/kafka/kafka-client.js';
import { CommandFailed } from '../../common/src/ops/errors.js';

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
