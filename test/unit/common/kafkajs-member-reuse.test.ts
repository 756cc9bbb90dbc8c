import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

// Regression: after a rejoin that failed ("coordinator loading", or after UNKNOWN_MEMBER_ID),
// kafkajs' runner fetched on with the old assignment (or no member id) and never rejoined under
// steady load: the transformer's per-instance transactions waited for a join that never came.
describe("kafkajs' consumer group fetches only while joined", () => {
  type Fetching = Group & { joinAndSync(): Promise<void>; fetch(nodeId: number): Promise<unknown> };
  const base = Object.getPrototypeOf(ConsumerGroup.prototype) as Fetching;
  const { isRebalancing } = require('kafkajs/src/errors.js') as {
    isRebalancing: (e: unknown) => boolean;
  };
  afterEach(() => vi.restoreAllMocks());

  it('refuses to fetch before a join, after a failed one, and from the start of the next; fetches after a good one', async () => {
    const join = vi.spyOn(base, 'joinAndSync');
    const fetch = vi.spyOn(base, 'fetch').mockResolvedValue([]);
    const group = groupOf({}) as Fetching;
    const refused = () =>
      group.fetch(1).then(
        () => undefined,
        (err: unknown) => err,
      );

    expect(isRebalancing(await refused())).toBe(true);
    join.mockRejectedValueOnce(
      Object.assign(new Error('loading'), { type: 'COORDINATOR_LOAD_IN_PROGRESS' }),
    );
    await expect(group.joinAndSync()).rejects.toThrow('loading');
    expect(isRebalancing(await refused())).toBe(true);
    expect(fetch).not.toHaveBeenCalled();

    join.mockResolvedValueOnce(undefined);
    await group.joinAndSync();
    await expect(group.fetch(1)).resolves.toEqual([]);
    expect(fetch).toHaveBeenCalledTimes(1);

    let finish!: () => void;
    join.mockReturnValueOnce(new Promise<void>((resolve) => (finish = resolve)));
    const rejoining = group.joinAndSync();
    expect(isRebalancing(await refused())).toBe(true);
    finish();
    await rejoining;
    await expect(group.fetch(1)).resolves.toEqual([]);
  });
});
