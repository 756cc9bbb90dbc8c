import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { memberReuseActive } from '../../../services/common/src/kafka/kafkajs.js';
import { CONSUMER_GROUP_MODULE } from '../../../services/common/src/kafka/kafkajs-member-reuse.js';

const require = createRequire(import.meta.url);
type Group = { memberId: string | null };
const ConsumerGroup = require(CONSUMER_GROUP_MODULE) as (new (o: object) => Group) & {
  keepsMembers?: boolean;
};
const logger = { namespace: () => logger };
const groupOf = (cluster: object) => new ConsumerGroup({ cluster, logger, retry: {}, topics: [] });

// Regression: after a broker outage longer than the consumer's retry budget, kafkajs restarted
// the consumer as a NEW member and the rejoin waited out the old member's session timeout (30 s).
describe("kafkajs' consumer group keeps its member id across the consumer's restarts", () => {
  it('is installed before kafkajs loads', () => {
    expect(memberReuseActive).toBe(true);
    expect(ConsumerGroup.keepsMembers).toBe(true);
  });

  it('hands the id to the next group object of the same consumer only', () => {
    const cluster = {};
    const first = groupOf(cluster);
    expect(first.memberId).toBeNull();
    first.memberId = 'member-1'; // JoinGroup answered
    expect(groupOf(cluster).memberId).toBe('member-1'); // the crash-restart's new group object
    expect(groupOf({}).memberId).toBeNull(); // another consumer, same process
  });

  it('forgets the id after a clean leave or UNKNOWN_MEMBER_ID (kafkajs sets it to null)', () => {
    const cluster = {};
    const group = groupOf(cluster);
    group.memberId = 'member-2';
    group.memberId = null;
    expect(groupOf(cluster).memberId).toBeNull();
  });
});
