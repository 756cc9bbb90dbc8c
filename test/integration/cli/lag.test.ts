// `ghl-pipeline lag`: committed vs end offsets per partition, for the transformer's group by
// default (on ghl.raw) or any group (every topic it has offsets for).
import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitGroupOffsets } from '../../../services/common/src/kafka/group-offsets.js';
import { cli, cliEnv, cliJson } from '../../helpers/cli.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';

interface LagResult {
  group: string;
  state: string;
  members: number;
  partitions: {
    topic: string;
    partition: number;
    committed: string | null;
    end: string;
    lag: number | null;
  }[];
  totalLag: number;
  uncommittedPartitions: number;
}

describe('ghl-pipeline lag', () => {
  const kafka = testKafka('cli-lag-test');
  let fresh: FreshTopics;
  let env: Record<string, string>;
  let consumer: Consumer | undefined;
  const group = `lag-${randomUUID()}`;

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 2, label: 'clilag' });
    env = cliEnv(fresh.prefix, { TRANSFORMER_GROUP_ID: group });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const msgs = (n: number, partition: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition }));
    await producer.send({
      topic: fresh.names.raw,
      acks: -1,
      messages: [...msgs(5, 0), ...msgs(3, 1)],
    });
    await producer.send({ topic: fresh.names.contact, acks: -1, messages: msgs(4, 0) });
    await producer.disconnect();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await fresh?.cleanup();
  });

  it('a group that never ran fails with exit 1 and says so', async () => {
    const result = await cli(['lag'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^error: consumer group ${group} does not exist .*has the transformer run\\?`),
    );
    const named = await cli(['lag', '--group', `nope-${randomUUID()}`], env);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/^error: consumer group nope-.* does not exist/);
  });

  it('default group (TRANSFORMER_GROUP_ID) on ghl.raw; --group shows every topic it has offsets for', async () => {
    // (kafkajs' admin.setOffsets waits 5 s per call; the CLI's helper commits at once)
    await commitGroupOffsets(kafka, group, fresh.names.raw, [
      { partition: 0, offset: '2' },
      { partition: 1, offset: '3' },
    ]);
    await commitGroupOffsets(kafka, group, fresh.names.contact, [{ partition: 0, offset: '4' }]);

    const byDefault = await cliJson<LagResult>(['lag'], env);
    expect(byDefault).toMatchObject({ group, state: 'Empty', members: 0, totalLag: 3 });
    expect(byDefault.partitions).toEqual([
      { topic: fresh.names.raw, partition: 0, committed: '2', end: '5', lag: 3 },
      { topic: fresh.names.raw, partition: 1, committed: '3', end: '3', lag: 0 },
    ]);

    const all = await cliJson<LagResult>(['lag', '--group', group], env);
    expect(all.partitions).toEqual([
      ...byDefault.partitions,
      { topic: fresh.names.contact, partition: 0, committed: '4', end: '4', lag: 0 },
      { topic: fresh.names.contact, partition: 1, committed: null, end: '0', lag: null },
    ]);
    expect(all).toMatchObject({ totalLag: 3, uncommittedPartitions: 1 });

    const one = await cliJson<LagResult>(
      ['lag', '--group', group, '--topic', 'neuronx.contact'],
      env,
    );
    expect(one.partitions.map((p) => p.topic)).toEqual([fresh.names.contact, fresh.names.contact]);

    const human = await cli(['lag', '--group', group], env);
    expect(human.stdout).toMatch(/^group .*: Empty, 0 member\(s\)$/m);
    expect(human.stdout).toMatch(/total lag 3 \(\+ 1 partition\(s\) with no committed offset\)/);
  });

  it('a running group shows its members and catches up to lag 0', async () => {
    const running = `lag-running-${randomUUID()}`;
    consumer = kafka.consumer({ groupId: running, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: fresh.names.raw, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => undefined });
    let result: LagResult | undefined;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      result = await cliJson<LagResult>(['lag', '--group', running], env).catch(() => undefined);
      if (result && result.totalLag === 0 && result.uncommittedPartitions === 0) break;
      await sleep(200);
    }
    expect(result).toMatchObject({ state: 'Stable', members: 1, totalLag: 0 });
  });
});
