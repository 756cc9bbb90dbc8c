// What a partition worker (or the loop) is built with in unit tests: the fake cluster's producers,
// admin and changelog reader, the real transform and Avro encoder, fresh metrics, and ghl.raw
// records as kafkajs delivers them (Buffer headers), made from the seed fixtures.
import type { KafkaMessage, Message } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger } from '../../services/common/src/logger.js';
import { RAW_HEADERS } from '../../services/common/src/record-headers.js';
import { DOMAIN_KEYS, topicNames, type Domain } from '../../services/common/src/topics.js';
import { createTransformerMetrics } from '../../services/transformer/src/metrics.js';
import { createCatalog, loadSchemas } from '../../services/transformer/src/avro/schema-catalog.js';
import { singleRecordBatchBytes } from '../../services/transformer/src/eos/send-chunks.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../../services/transformer/src/eos/topic-limits.js';
import { transform } from '../../services/transformer/src/mapping/transform.js';
import type { WorkerDeps, WorkerSettings } from '../../services/transformer/src/eos/worker-deps.js';
import { SEED_FIXTURES } from '../fixtures/index.js';
import type { FakeCluster } from './fake-kafka.js';

export const GROUP = 'test-group';
export const names = topicNames('');
const IDS = Object.fromEntries(DOMAIN_KEYS.map((d, i) => [d, 100 + i])) as Record<Domain, number>;
const catalog = createCatalog(IDS, { schemas: loadSchemas() });

/**
 * `limits`: the topic limits, by default Kafka's default max.message.bytes for every topic, always
 * recent enough to judge a record by, each refresh counted (limitRefreshes).
 */
export function fakeWorkerDeps(
  cluster: FakeCluster,
  settings: Partial<WorkerSettings> = {},
  limits?: WorkerDeps['limits'],
): WorkerDeps & { limitRefreshes: () => number } {
  const limitOf = () => KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  let refreshes = 0;
  return {
    kafka: cluster.kafka(),
    admin: cluster.admin(GROUP, names.raw),
    transactions: cluster.transactions(),
    names,
    reader: cluster.reader(names.dedup),
    encoder: catalog,
    context: {
      tenantOf: () => 'tenant-1',
      unknownTenantPolicy: 'null',
      unmappedEventPolicy: 'dlq',
    },
    transform,
    metrics: createTransformerMetrics(new Registry()),
    logger: createLogger('test', 'silent'),
    limits: limits ?? {
      limitOf,
      fits: (_topic: string, m: Message) => singleRecordBatchBytes(m) <= limitOf(),
      current: () => true,
      refresh: async () => void refreshes++,
      // Each reading starts and ends at once: readings numbered 1, 2, … as refreshed.
      get readingsStarted() {
        return refreshes;
      },
      readSince: (n: number) => refreshes > n,
    },
    settings: {
      groupId: GROUP,
      dedupWindowMs: 24 * 3600_000,
      transactionTimeoutMs: 60_000,
      restoreTimeoutMs: 1000,
      maxRecordAttempts: 3,
      expirySweepLimit: 1000,
      maxTransactionRecords: 100,
      transactionGapMs: 0,
      slowTransactionMs: 60_000,
      ...settings,
    },
    limitRefreshes: () => refreshes,
  };
}

/**
 * ghl.raw records at offsets `from` … `from + n - 1`, seed bodies in turn; the event ID is
 * `evt-<offset>` unless `eventIdOf` says otherwise (redeliveries keep an event's ID).
 */
export function rawRecords(
  from: number,
  n: number,
  eventIdOf: (offset: number) => string = (o) => `evt-${o}`,
): KafkaMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const offset = from + i;
    const eventId = eventIdOf(offset);
    return {
      offset: String(offset),
      key: Buffer.from(eventId),
      value: SEED_FIXTURES[offset % SEED_FIXTURES.length]!.bytes,
      headers: {
        [RAW_HEADERS.eventId]: Buffer.from(eventId),
        [RAW_HEADERS.receivedAt]: Buffer.from(new Date().toISOString()),
      },
      timestamp: String(Date.now()),
      attributes: 0,
    };
  });
}

/** The event IDs of the committed outputs (any NeuronX topic), in commit order. */
export function outputIds(cluster: FakeCluster): string[] {
  const outputs = new Set(DOMAIN_KEYS.map((d) => names[d]));
  return cluster.records.filter((r) => outputs.has(r.topic)).map((r) => r.headers['ce_id']!);
}
