import {
  int,
  loadConfig,
  oneOf,
  optionalInt,
  optionalStr,
  str,
  type Env,
} from '../../common/src/config.js';
import { kafkaConfigSchema } from '../../common/src/kafka/kafka-config.js';

export const transformerConfigSchema = {
  ...kafkaConfigSchema,
  TRANSFORMER_GROUP_ID: str({
    default: 'neuronx-transformer',
    describe: 'consumer group; also the transactional.id prefix',
  }),
  DEDUP_WINDOW_MS: int({
    default: 24 * 3600 * 1000,
    min: 1000,
    describe: 'how long an event ID suppresses duplicates',
  }),
  UNMAPPED_EVENT_POLICY: oneOf(['dlq', 'skip'] as const, {
    default: 'dlq',
    describe: 'event types with no mapping: dlq or skip',
  }),
  UNKNOWN_TENANT_POLICY: oneOf(['null', 'dlq'] as const, {
    default: 'null',
    describe: 'locations with no tenant: tenantId null, or dlq',
  }),
  TENANT_MAP_FILE: optionalStr({
    describe: 'JSON file {"locationId": "tenantId"}; the tenants topic overrides it',
  }),
  TRANSFORMER_METRICS_HOST: str({
    default: '127.0.0.1',
    describe: 'metrics endpoint bind address',
  }),
  TRANSFORMER_METRICS_PORT: int({
    default: 9464,
    min: 0,
    max: 65535,
    describe: 'metrics endpoint port (0 = any free port)',
  }),
  TRANSFORMER_MAX_TRANSACTION_RECORDS: int({
    default: 2000,
    min: 1,
    describe: 'ghl.raw records of one partition per transaction at most',
  }),
  TRANSFORMER_TRANSACTION_GAP_MS: int({
    default: 3,
    min: 0,
    max: 1000,
    describe:
      'pause between two transactions of a partition, or two rounds of the instance transaction (fewer CONCURRENT_TRANSACTIONS retries)',
  }),
  TRANSFORMER_SLOW_TRANSACTION_MS: int({
    default: 2000,
    min: 1,
    describe: 'transactions slower than this are logged at warn with their phase timings',
  }),
  TRANSFORMER_MAX_QUEUED_RECORDS: int({
    default: 2000,
    min: 1,
    describe: 'fetched records waiting for a transaction per partition before fetching more',
  }),
  TRANSFORMER_MAX_BYTES_PER_PARTITION: int({
    default: 1024 * 1024,
    min: 1024,
    describe: 'fetch size per partition',
  }),
  TRANSFORMER_CONCURRENCY: int({
    default: 6,
    min: 1,
    describe: 'partitions processed concurrently',
  }),
  TRANSFORMER_TRANSACTIONS: oneOf(['per-instance', 'per-partition'] as const, {
    default: 'per-instance',
    describe:
      'per-partition: a transactional producer per ghl.raw partition, fenced by its transactional.id; per-instance: one producer and one transaction for all partitions, fenced by the group generation (KIP-447, Kafka Streams exactly-once v2)',
  }),
  TRANSFORMER_INSTANCE_ID: optionalStr({
    describe:
      "per-instance transactions: this instance's identity in its transactional.id, unique among live instances; keep it across restarts (a pod name) so a restart aborts what a crash left open (default: host, pid and a random suffix)",
  }),
  TRANSFORMER_TRANSACTION_TIMEOUT_MS: optionalInt({
    min: 1000,
    describe:
      'transaction.timeout.ms of the transactional producers (default 10000 per-instance, as Kafka Streams under exactly-once v2: a crashed instance holds up the new owner of its partitions that long; 60000 per-partition)',
  }),
  TRANSFORMER_SESSION_TIMEOUT_MS: int({
    default: 30_000,
    min: 1000,
    describe: 'group session timeout',
  }),
  TRANSFORMER_HEARTBEAT_INTERVAL_MS: int({
    default: 3000,
    min: 100,
    describe: 'group heartbeat interval',
  }),
  TRANSFORMER_RESTORE_TIMEOUT_MS: int({
    default: 120_000,
    min: 1000,
    describe: 'max time to restore a partition dedup state',
  }),
  TRANSFORMER_TOPIC_LIMITS_MAX_AGE_MS: int({
    default: 10_000,
    min: 0,
    describe:
      "how old the output, DLQ and changelog topics' max.message.bytes as last read may be to dead-letter a record as output_too_large (or truncate a DLQ record) by it; older, they are read again first",
  }),
  TRANSFORMER_MAX_RECORD_ATTEMPTS: int({
    default: 5,
    min: 1,
    describe: 'attempts for an unclassified failure before DLQ retries_exhausted',
  }),
  TRANSFORMER_BACKOFF_INITIAL_MS: int({
    default: 200,
    min: 1,
    describe: 'first retry delay after a rolled-back batch',
  }),
  TRANSFORMER_BACKOFF_MAX_MS: int({ default: 10_000, min: 1, describe: 'retry delay cap' }),
  TRANSFORMER_START_TIMEOUT_MS: int({
    default: 300_000,
    min: 1000,
    describe: 'how long start-up waits for Kafka and the registry',
  }),
};

export type TransformerConfig = ReturnType<typeof loadConfig<typeof transformerConfigSchema>>;

export const loadTransformerConfig = (env: Env = process.env): TransformerConfig =>
  loadConfig(transformerConfigSchema, env);

/** transaction.timeout.ms in effect: the configured one, else the default of the arrangement. */
export const transactionTimeoutMs = (config: TransformerConfig): number =>
  config.TRANSFORMER_TRANSACTION_TIMEOUT_MS ??
  (config.TRANSFORMER_TRANSACTIONS === 'per-instance' ? 10_000 : 60_000);
