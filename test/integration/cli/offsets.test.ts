// `ghl-pipeline offsets reset`: refused while the group has active members, a plan with
// --dry-run, and every --to-* form applied to the real group.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, cliJson } from '../../helpers/cli.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';

interface Plan {
  group: string;
  topic: string;
  dryRun: boolean;
  applied: boolean;
  partitions: { partition: number; current: string | null; new: string; end: string }[];
}

describe('ghl-pipeline offsets reset', () => {
  const kafka = testKafka('cli-offsets-test');
  let fresh: FreshTopics;
  let env: Record<string, string>;
  let admin: Admin;
  let consumer: Consumer | undefined;
  const group = `downstream-${randomUUID()}`;
  let midTime: string;

  const committed = async () => {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [fresh.names.contact] });
    return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  };

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 2, label: 'clioffsets' });
    admin = fresh.admin;
    env = cliEnv(fresh.prefix);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const batch = (tag: string) =>
      [0, 1].flatMap((partition) =>
        [0, 1, 2].map((i) => ({ key: `${tag}${i}`, value: `${tag}${i}`, partition })),
      );
    await producer.send({ topic: fresh.names.contact, acks: -1, messages: batch('a') });
    await sleep(50);
    midTime = new Date().toISOString();
    await sleep(50);
    await producer.send({ topic: fresh.names.contact, acks: -1, messages: batch('b') });
    await producer.disconnect();

    // A downstream consumer reads everything and commits; it stays in the group.
    consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: fresh.names.contact, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 50, eachMessage: async () => undefined });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await committed()).join() !== '6,6') await sleep(100);
    expect(await committed()).toEqual(['6', '6']);
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await fresh?.cleanup();
  });

  it('refuses while the group has active members (exit 1, nothing changed); a dry run still shows the plan', async () => {
    const refused = await cli(
      ['offsets', 'reset', '--group', group, '--topic', 'neuronx.contact', '--to-earliest'],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^error: consumer group ${group} has 1 active member\\(s\\) \\(state Stable\\)`),
    );
    expect(await committed()).toEqual(['6', '6']);

    const dry = await cli(
      [
        'offsets',
        'reset',
        '--group',
        group,
        '--topic',
        'neuronx.contact',
        '--to-earliest',
        '--dry-run',
      ],
      env,
    );
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/dry run: would reset/);
    expect(dry.stderr).toContain('active member');
    expect(await committed()).toEqual(['6', '6']);
  });

  it('once the consumers stopped: --dry-run shows current -> new and changes nothing; each --to-* applies', async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const args = ['offsets', 'reset', '--group', group, '--topic', 'neuronx.contact'];

    const dry = await cliJson<Plan>([...args, '--to-earliest', '--dry-run'], env);
    expect(dry).toMatchObject({ dryRun: true, applied: false });
    expect(dry.partitions).toEqual([
      { partition: 0, current: '6', new: '0', end: '6' },
      { partition: 1, current: '6', new: '0', end: '6' },
    ]);
    expect(await committed()).toEqual(['6', '6']);
    const human = await cli([...args, '--to-earliest', '--dry-run'], env);
    expect(human.stdout).toMatch(/^partition\s+current\s+new\s+end$/m);
    expect(human.stdout).toMatch(/^0\s+6\s+0\s+6$/m);

    expect((await cliJson<Plan>([...args, '--to-earliest'], env)).applied).toBe(true);
    expect(await committed()).toEqual(['0', '0']);

    await cliJson<Plan>([...args, '--to-datetime', midTime], env);
    expect(await committed()).toEqual(['3', '3']);

    const one = await cliJson<Plan>([...args, '--to-offset', '1:5'], env);
    expect(one.partitions).toEqual([{ partition: 1, current: '3', new: '5', end: '6' }]);
    expect(await committed()).toEqual(['3', '5']);

    await cliJson<Plan>([...args, '--to-latest'], env);
    expect(await committed()).toEqual(['6', '6']);
  });

  it('usage mistakes exit 2; impossible targets exit 1 with one line', async () => {
    const base = ['offsets', 'reset', '--group', group, '--topic', 'neuronx.contact'];
    expect((await cli(base, env)).code).toBe(2);
    expect((await cli([...base, '--to-earliest', '--to-latest'], env)).code).toBe(2);
    expect(
      (await cli(['offsets', 'reset', '--topic', 'neuronx.contact', '--to-latest'], env)).code,
    ).toBe(2);
    expect((await cli([...base, '--to-offset', '1:x'], env)).code).toBe(2);
    const noPartition = await cli([...base, '--to-offset', '9:0'], env);
    expect(noPartition.code).toBe(1);
    expect(noPartition.stderr).toMatch(/^error: .*has no partition 9/);
    const past = await cli([...base, '--to-offset', '0:100'], env);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/past the end/);
    const unknown = await cli(
      ['offsets', 'reset', '--group', group, '--topic', 'nope', '--to-latest'],
      env,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: unknown topic "nope"/);
  });
});
