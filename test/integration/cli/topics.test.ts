// `ghl-pipeline topics apply|list|describe` against the real broker, under a fresh prefix.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicNames } from '../../../services/common/src/topics.js';
import { cli, cliEnv, cliJson } from '../../helpers/cli.js';
import { testKafka, uniquePrefix } from '../../helpers/integration.js';

interface ListRow {
  key: string;
  topic: string;
  exists: boolean;
  partitions: number | null;
}
interface Described {
  topic: string;
  partitions: {
    partition: number;
    leader: number;
    replicas: number[];
    isr: number[];
    startOffset: string;
    endOffset: string;
  }[];
  configs: Record<string, string>;
}

describe('ghl-pipeline topics', () => {
  const prefix = uniquePrefix('clitopics');
  const names = topicNames(prefix);
  const env = cliEnv(prefix, { TOPIC_PARTITIONS: '2' });
  let admin: Admin;

  beforeAll(async () => {
    admin = testKafka('cli-topics-test').admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('list shows every declared topic as missing before apply', async () => {
    const { topics } = await cliJson<{ topics: ListRow[] }>(['topics', 'list'], env);
    expect(topics.map((t) => t.topic).sort()).toEqual(Object.values(names).sort());
    expect(topics.every((t) => !t.exists && t.partitions === null)).toBe(true);
    const check = await cli(['topics', 'apply', '--check'], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/missing\s+.*ghl\.raw/);
  });

  it('apply creates them (idempotently), then list and apply --check agree', async () => {
    const first = await cliJson<{ topics: { topic: string; status: string }[] }>(
      ['topics', 'apply'],
      env,
    );
    expect(first.topics.map((t) => t.status)).toEqual(Array(9).fill('created'));
    const second = await cliJson<{ topics: { status: string }[] }>(['topics', 'apply'], env);
    expect(second.topics.map((t) => t.status)).toEqual(Array(9).fill('unchanged'));
    expect((await cli(['topics', 'apply', '--check'], env)).code).toBe(0);

    const { topics } = await cliJson<{ topics: ListRow[] }>(['topics', 'list'], env);
    expect(topics.every((t) => t.exists && t.partitions === 2)).toBe(true);
    const human = await cli(['topics', 'list'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${names.tenants}`);
    expect(human.stdout).toMatch(/compact/);
  });

  it('describe shows partitions, leaders, end offsets and configs; accepts the declared name', async () => {
    const producer = testKafka('cli-topics-producer').producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: names.raw,
      acks: -1,
      messages: [
        { key: 'a', value: '1', partition: 0 },
        { key: 'b', value: '2', partition: 0 },
        { key: 'c', value: '3', partition: 1 },
      ],
    });
    await producer.disconnect();

    for (const given of ['ghl.raw', names.raw]) {
      const { topics } = await cliJson<{ topics: Described[] }>(['topics', 'describe', given], env);
      expect(topics).toHaveLength(1);
      const [raw] = topics;
      expect(raw!.topic).toBe(names.raw);
      expect(raw!.partitions.map((p) => [p.partition, p.startOffset, p.endOffset])).toEqual([
        [0, '0', '2'],
        [1, '0', '1'],
      ]);
      expect(raw!.partitions.every((p) => p.leader >= 0 && p.isr.length === 1)).toBe(true);
      expect(raw!.configs).toMatchObject({
        'retention.ms': '604800000',
        'cleanup.policy': 'delete',
      });
    }
    const all = await cliJson<{ topics: Described[] }>(['topics', 'describe'], env);
    expect(all.topics.map((t) => t.topic).sort()).toEqual(Object.values(names).sort());
    expect(all.topics.find((t) => t.topic === names.dedup)!.configs['cleanup.policy']).toBe(
      'compact',
    );
    const human = await cli(['topics', 'describe', 'ghl.raw'], env);
    expect(human.stdout).toMatch(/partition\s+leader\s+replicas\s+isr\s+start\s+end/);
  });

  it('describe of an unknown topic fails with one line and exit 1', async () => {
    const result = await cli(['topics', 'describe', 'no.such.topic'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: unknown topic "no\.such\.topic"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
