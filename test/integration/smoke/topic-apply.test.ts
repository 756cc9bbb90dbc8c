import { afterAll, describe, expect, it } from 'vitest';
import { applyTopics } from '../../../services/common/src/kafka/topic-apply.js';
import { ConfigResourceTypes } from '../../../services/common/src/kafka/kafkajs.js';
import { TOPIC_KEYS, topicSpecs } from '../../../services/common/src/topics.js';
import { testKafka, uniquePrefix } from '../../helpers/integration.js';

describe('topic apply against the real broker', () => {
  const admin = testKafka('smoke-topics').admin();
  const prefix = uniquePrefix('apply');
  const specs = topicSpecs(prefix, { partitions: 2 });

  afterAll(async () => {
    await admin.deleteTopics({ topics: specs.map((s) => s.name) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates every declared topic once; a second run changes nothing; drift is reported, not fixed', async () => {
    await admin.connect();
    expect(specs.map((s) => s.key)).toEqual([...TOPIC_KEYS]);

    const first = await applyTopics(admin, specs);
    expect(first.map((o) => o.status)).toEqual(specs.map(() => 'created'));

    const second = await applyTopics(admin, specs);
    expect(second).toEqual(specs.map((s) => ({ topic: s.name, status: 'unchanged' })));

    const dedup = specs.find((s) => s.key === 'dedup')!;
    const meta = await admin.fetchTopicMetadata({ topics: [dedup.name] });
    expect(meta.topics[0]?.partitions).toHaveLength(2);
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: dedup.name, configNames: ['cleanup.policy'] },
      ],
    });
    expect(resources[0]?.configEntries[0]?.configValue).toBe('compact');

    // Someone raises ghl.raw's partitions by hand: apply must say so and leave it alone.
    const raw = specs.find((s) => s.key === 'raw')!;
    await admin.createPartitions({ topicPartitions: [{ topic: raw.name, count: 3 }] });
    await expect
      .poll(
        async () =>
          (await admin.fetchTopicMetadata({ topics: [raw.name] })).topics[0]?.partitions.length,
      )
      .toBe(3);
    const third = await applyTopics(admin, specs);
    expect(third.find((o) => o.topic === raw.name)).toEqual({
      topic: raw.name,
      status: 'drift',
      differences: ['partitions: 3, declared 2'],
    });
    expect(third.filter((o) => o.status === 'unchanged')).toHaveLength(specs.length - 1);
  });

  it('reports an output topic whose max.message.bytes predates the one size setting, with the command that fixes it, and fixes it when asked', async () => {
    const contact = specs.find((s) => s.key === 'contact')!;
    // An existing deployment: the output topic still has the broker's default size limit.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: contact.name,
          configEntries: [
            { name: 'retention.ms', value: contact.configs['retention.ms']! },
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'min.insync.replicas', value: '1' },
          ],
        },
      ],
    });
    const declared = contact.configs['max.message.bytes'];
    // Config changes reach DescribeConfigs after the broker applies the metadata record: poll.
    await expect
      .poll(async () => (await applyTopics(admin, specs)).find((o) => o.topic === contact.name))
      .toEqual({
        topic: contact.name,
        status: 'drift',
        differences: [`max.message.bytes: 1048588, declared ${declared}`],
        fix: 'ghl-pipeline topics apply --alter-configs',
      });

    const fixed = await applyTopics(admin, specs, { alterConfigs: true });
    expect(fixed.find((o) => o.topic === contact.name)).toEqual({
      topic: contact.name,
      status: 'configs altered',
      differences: [`max.message.bytes: 1048588, declared ${declared}`],
    });
    // Partition drift is never "fixed": ghl.raw keeps its reported drift.
    expect(fixed.find((o) => o.status === 'drift')?.differences).toEqual([
      'partitions: 3, declared 2',
    ]);
    await expect
      .poll(async () => (await applyTopics(admin, specs)).find((o) => o.topic === contact.name))
      .toEqual({ topic: contact.name, status: 'unchanged' });
  });
});
