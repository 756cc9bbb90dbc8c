// Shared pieces of the integration suite: the stack's addresses, fresh topic/group names per
// test, and a read_committed reader that collects what a topic holds.
import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { applyTopics } from '../../services/common/src/kafka/topic-apply.js';
import { topicNames, topicSpecs, type TopicNames } from '../../services/common/src/topics.js';

export const stackEnv = () => ({
  brokers: inject('kafkaBrokers'),
  registryUrl: inject('registryUrl'),
  mode: inject('stackMode'),
});

/** KAFKA_BROKERS, SCHEMA_REGISTRY_URL and TOPIC_PREFIX for a service or the CLI on the test stack. */
export const stackClientEnv = (prefix: string): Record<string, string> => ({
  KAFKA_BROKERS: inject('kafkaBrokers'),
  SCHEMA_REGISTRY_URL: inject('registryUrl'),
  TOPIC_PREFIX: prefix,
});

export const testKafka = (clientId = 'test'): Kafka =>
  createKafka({ brokers: [inject('kafkaBrokers')], clientId });

/** A unique, dot-terminated prefix: every topic, group and subject of one test lives under it. */
export const uniquePrefix = (label = 't'): string => `${label}-${randomUUID().slice(0, 8)}.`;

export interface FreshTopics {
  prefix: string;
  names: TopicNames;
  group: string;
  admin: Admin;
  cleanup(): Promise<void>;
}

/** Creates every pipeline topic under a fresh prefix (through the same code as `topics apply`). */
export async function freshTopics(
  opts: { partitions?: number; label?: string } = {},
): Promise<FreshTopics> {
  const prefix = uniquePrefix(opts.label);
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  await applyTopics(admin, topicSpecs(prefix, { partitions: opts.partitions ?? 3 }));
  const names = topicNames(prefix);
  return {
    prefix,
    names,
    group: `${prefix}group`,
    admin,
    async cleanup() {
      await admin.deleteTopics({ topics: Object.values(names) }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export const headersToStrings = (headers: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
  }
  return out;
};

/**
 * Reads `topics` from the beginning with read_committed until `expected` records arrived, or
 * `until` says so (then
 * waits `settleMs` more to catch extras) or `timeoutMs` passed. Always returns what it saw, so
 * a test can assert on both "too few" and "too many".
 */
export async function readCommitted(
  kafka: Kafka,
  topics: string[],
  opts: {
    expected: number;
    timeoutMs?: number;
    settleMs?: number;
    until?: (records: ReadRecord[]) => boolean;
  },
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({
    groupId: `reader-${randomUUID()}`,
    readUncommitted: false,
    maxWaitTimeInMs: 250,
  });
  const records: ReadRecord[] = [];
  const seen = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        // A consumer that restarts (kafkajs does so after some errors) re-reads from its last
        // auto-commit: the same record twice is the reader's doing, not a duplicate in the topic.
        const address = `${topic}/${partition}/${message.offset}`;
        if (seen.has(address)) return;
        seen.add(address);
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: headersToStrings(message.headers),
          timestamp: message.timestamp,
        });
      },
    });
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const done = opts.until ?? ((r: ReadRecord[]) => r.length >= opts.expected);
    while (!done(records) && Date.now() < deadline) await sleep(100);
    await sleep(opts.settleMs ?? 500);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
