import { optionalInt, str } from '../config.js';

/** Settings every service and the CLI share; the names are a contract (README, docker-compose). */
export const kafkaConfigSchema = {
  KAFKA_BROKERS: str({ default: '127.0.0.1:9092', describe: 'comma-separated bootstrap brokers' }),
  SCHEMA_REGISTRY_URL: str({
    default: 'http://127.0.0.1:8081/apis/ccompat/v7',
    describe: 'Confluent-compatible schema registry base URL',
  }),
  TOPIC_PREFIX: str({
    default: '',
    describe: 'prefix for every topic name (isolates environments and tests)',
  }),
  LOG_LEVEL: str({
    default: 'info',
    oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    describe: 'pino log level',
  }),
};

/** Used when topics are created; unset means the numbers in infra/topics.json. */
export const topicSizingSchema = {
  TOPIC_PARTITIONS: optionalInt({
    min: 1,
    describe: 'partitions of every pipeline topic (raw = changelog)',
  }),
  TOPIC_REPLICATION_FACTOR: optionalInt({ min: 1, describe: 'replication factor (production: 3)' }),
  TOPIC_MIN_INSYNC_REPLICAS: optionalInt({
    min: 1,
    describe: 'min.insync.replicas (production: 2)',
  }),
  TOPIC_MAX_MESSAGE_BYTES: optionalInt({
    min: 1024,
    describe:
      'max.message.bytes of every pipeline topic (default 1310720: BODY_LIMIT_BYTES plus headroom)',
  }),
};
