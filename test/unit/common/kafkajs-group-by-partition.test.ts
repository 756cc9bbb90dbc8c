// groupByPartition (kafkajs-send-messages.ts) against kafkajs' own groupMessagesPerPartition:
// the same partitions, the same records in the same order, the partitioner called the same way.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { groupByPartition } from '../../../services/common/src/kafka/kafkajs-send-messages.js';
import type {
  GroupArgs,
  Message,
} from '../../../services/common/src/kafka/kafkajs-send-messages-types.js';

const require = createRequire(import.meta.url);
const kafkajsGroup = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (
  args: GroupArgs,
) => Record<string, Message[]>;
const defaultPartitioner = (
  require('kafkajs') as { Partitioners: { DefaultPartitioner: () => unknown } }
).Partitioners.DefaultPartitioner;

const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
  partitionId,
  leader: 1,
  partitionErrorCode: 0,
  replicas: [1],
  isr: [1],
})) as unknown as GroupArgs['partitionMetadata'];

// Keyed records (murmur2), keyless ones and explicit partitions, mixed.
const messages: Message[] = Array.from({ length: 2500 }, (_, i) =>
  i % 5 === 0
    ? { key: null, value: `v${i}` }
    : i % 7 === 0
      ? { key: `k${i}`, value: `v${i}`, partition: i % 6 }
      : { key: `k${i % 300}`, value: `v${i}` },
);

describe('groupByPartition', () => {
  it("matches kafkajs' groupMessagesPerPartition, partitioner calls included", () => {
    // kafkajs' partitioner for keyed records; keyless ones round robin from 0 (kafkajs' own
    // starts at a random partition), so the two runs agree only if the calls come in one order.
    const calls = (into: unknown[]) => {
      const partitioner = defaultPartitioner() as (args: { message: Message }) => number;
      let next = 0;
      return (args: { message: Message }) => {
        into.push(args.message);
        return args.message.key == null ? next++ % 6 : partitioner(args);
      };
    };
    const ours: unknown[] = [];
    const theirs: unknown[] = [];
    const grouped = groupByPartition({
      topic: 't',
      partitionMetadata,
      messages,
      partitioner: calls(ours),
    });
    const expected = kafkajsGroup({
      topic: 't',
      partitionMetadata,
      messages,
      partitioner: calls(theirs),
    });
    expect(grouped).toEqual(expected);
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(messages.length);
  });

  it('groups nothing for a topic without partitions', () => {
    const args = { topic: 't', partitionMetadata: [], messages, partitioner: () => 0 };
    expect(groupByPartition(args)).toEqual({});
    expect(kafkajsGroup(args)).toEqual({});
  });
});
