import type { Admin, ITopicConfig } from 'kafkajs';
import { ConfigResourceTypes } from './kafkajs.js';
import type { TopicSpec } from '../topics.js';

export type TopicOutcome =
  | { topic: string; status: 'created'; partitions: number; replicationFactor: number }
  | { topic: string; status: 'unchanged' }
  | { topic: string; status: 'configs altered'; differences: string[] }
  | { topic: string; status: 'drift'; differences: string[]; fix?: string };

/** The command that sets a topic's drifted configs to their declared values. */
export const ALTER_CONFIGS_COMMAND = 'ghl-pipeline topics apply --alter-configs';

/**
 * Creates the topics that are missing and compares the ones that exist against their spec.
 * Partitions and replication factor of an existing topic are never changed: changing partitions
 * of ghl.raw or the changelog would move keys between partitions and break the raw/changelog
 * pairing, so that drift is reported for a human. Config drift (max.message.bytes, retention …)
 * is reported with the command that fixes it, and fixed when `alterConfigs` is set
 * (IncrementalAlterConfigs would be ideal; kafkajs only has AlterConfigs, so every declared
 * config of the topic is sent, and undeclared ones keep the broker's defaults).
 */
export async function applyTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  opts: { alterConfigs?: boolean } = {},
): Promise<TopicOutcome[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  if (missing.length > 0)
    await waitForLeaders(
      admin,
      missing.map((s) => s.name),
    );
  const present = specs.filter((s) => existing.has(s.name));
  const drift = await describeDrift(admin, present);
  const configDrift = (name: string) =>
    (drift.get(name) ?? []).filter(
      (d) => !d.startsWith('partitions') && !d.startsWith('replication'),
    );
  const toAlter = opts.alterConfigs ? present.filter((s) => configDrift(s.name).length > 0) : [];
  if (toAlter.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: toAlter.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.name,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  return specs.map((s): TopicOutcome => {
    if (!existing.has(s.name)) {
      return {
        topic: s.name,
        status: 'created',
        partitions: s.partitions,
        replicationFactor: s.replicationFactor,
      };
    }
    const differences = drift.get(s.name) ?? [];
    if (differences.length === 0) return { topic: s.name, status: 'unchanged' };
    const configs = configDrift(s.name);
    if (toAlter.includes(s)) {
      const rest = differences.filter((d) => !configs.includes(d));
      return rest.length > 0
        ? { topic: s.name, status: 'drift', differences: rest }
        : { topic: s.name, status: 'configs altered', differences: configs };
    }
    return configs.length > 0
      ? { topic: s.name, status: 'drift', differences, fix: ALTER_CONFIGS_COMMAND }
      : { topic: s.name, status: 'drift', differences };
  });
}

/** For each existing topic, the ways it differs from its spec (empty when it matches). */
export async function describeDrift(
  admin: Admin,
  specs: readonly TopicSpec[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (specs.length === 0) return result;
  const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  const configs = await describeTopicConfigs(
    admin,
    specs.map((s) => s.name),
    [...new Set(specs.flatMap((s) => Object.keys(s.configs)))],
  );
  for (const spec of specs) {
    const differences: string[] = [];
    const meta = topics.find((t) => t.name === spec.name);
    const partitions = meta?.partitions.length ?? 0;
    if (partitions !== spec.partitions)
      differences.push(`partitions: ${partitions}, declared ${spec.partitions}`);
    const rf = meta?.partitions[0]?.replicas.length ?? 0;
    if (rf !== spec.replicationFactor)
      differences.push(`replication factor: ${rf}, declared ${spec.replicationFactor}`);
    const entries = configs.get(spec.name) ?? [];
    for (const [name, want] of Object.entries(spec.configs)) {
      const have = entries.find((e) => e.name === name)?.value;
      if (have !== want) differences.push(`${name}: ${have ?? '(unset)'}, declared ${want}`);
    }
    result.set(spec.name, differences);
  }
  return result;
}

/** One config of a topic as the broker describes it (DescribeConfigs, without synonyms). */
export interface TopicConfigEntry {
  /** The config's name, e.g. `max.message.bytes`. */
  name: string;
  /** Its value as the broker sends it, as text (the broker withholds a sensitive one's). */
  value: string;
  /** True when neither the topic nor the broker sets it: Kafka's default applies. */
  isDefault: boolean;
  /** True for a secret (a password …), whose value the broker does not reveal. */
  isSensitive: boolean;
}

/**
 * The configs of `topics` as the broker describes them: topic name → its entries, in the
 * broker's order (a topic the broker leaves out of its answer has no entry in the map). One
 * DescribeConfigs for all of them, without synonyms; `configNames` restricts every topic to those
 * configs, unset asks for all. Rejects with the client's error when the request fails or the
 * broker refuses a topic (an unknown topic, no authorization), and when `topics` is empty.
 */
export async function describeTopicConfigs(
  admin: Admin,
  topics: readonly string[],
  configNames?: readonly string[],
): Promise<Map<string, TopicConfigEntry[]>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) =>
      configNames === undefined
        ? { type: ConfigResourceTypes.TOPIC, name }
        : { type: ConfigResourceTypes.TOPIC, name, configNames: [...configNames] },
    ),
  });
  const result = new Map<string, TopicConfigEntry[]>();
  for (const r of resources)
    result.set(
      r.resourceName,
      r.configEntries.map((e) => ({
        name: e.configName,
        value: e.configValue,
        isDefault: e.isDefault,
        isSensitive: e.isSensitive,
      })),
    );
  return result;
}

/** createTopics that waits for leaders robustly (see waitForLeaders); for ad-hoc topics. */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics });
  await waitForLeaders(
    admin,
    topics.map((t) => t.topic),
  );
}

const NOT_READY_YET = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
]);

/**
 * kafkajs' own createTopics({ waitForLeaders: true }) gives up on UNKNOWN_TOPIC_OR_PARTITION,
 * which a KRaft broker briefly answers for a topic it has just created while its metadata
 * catches up (seen under load). This waits until every partition has a leader, and until the
 * leaders answer a ListOffsets too: metadata can name a leader a moment before it serves the
 * partition, and the first reader (fetchTopicOffsets) would trip over NOT_LEADER.
 */
export async function waitForLeaders(
  admin: Admin,
  topics: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const led =
        meta.length === topics.length &&
        meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (led) {
        for (const topic of topics) await admin.fetchTopicOffsets(topic);
        return;
      }
    } catch (err) {
      if (!NOT_READY_YET.has((err as { type?: string }).type ?? '')) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
