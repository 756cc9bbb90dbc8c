import { createKafka, parseBrokers } from '../../common/src/kafka/kafka-client.js';
import type { Logger } from '../../common/src/logger.js';
import { topicNames } from '../../common/src/topics.js';
import { BatchingProducer } from './batching-producer.js';
import type { IngressConfig } from './config.js';
import type { IngressMetrics } from './metrics.js';
import { Murmur2Partitioner } from '../../common/src/kafka/partitioner.js';

/** The real RecordSink: a BatchingProducer over kafkajs, writing to `<TOPIC_PREFIX>ghl.raw`. */
export function createKafkaSink(
  config: IngressConfig,
  deps: { logger: Logger; metrics?: IngressMetrics; clientId?: string },
): BatchingProducer {
  const topic = topicNames(config.TOPIC_PREFIX).raw;
  const timeoutMs = config.PRODUCE_TIMEOUT_MS;
  const kafka = createKafka({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    clientId: deps.clientId ?? 'ghl-ingress',
    logger: kafkajsLogger(deps.logger),
    connectionTimeoutMs: Math.min(3000, timeoutMs),
    requestTimeoutMs: timeoutMs,
    // Short on purpose: a webhook waits at most PRODUCE_TIMEOUT_MS, and a connect attempt that
    // fails quickly is what lets the ingress switch to fast 429s while Kafka is down.
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
  });
  return new BatchingProducer({
    topic,
    lingerMs: config.PRODUCE_LINGER_MS,
    maxBatch: config.PRODUCE_MAX_BATCH,
    maxBatchBytes: config.PRODUCE_MAX_BATCH_BYTES,
    timeoutMs,
    maxInFlight: config.MAX_IN_FLIGHT,
    healthCheckMs: config.KAFKA_HEALTH_CHECK_MS,
    logger: deps.logger,
    metrics: deps.metrics,
    createProducer: () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // A missing ghl.raw is a deployment error to report, not a topic to create with
        // broker defaults (wrong partitions, wrong retention).
        allowAutoTopicCreation: false,
        createPartitioner: Murmur2Partitioner,
        // Bounded retries inside one sendBatch (kafkajs warns that this "may invalidate EoS
        // guarantees"): safe here because a producer whose send failed is never reused.
        retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 },
      }),
    // Metadata of all topics rather than of ghl.raw alone: a metadata request naming a missing
    // topic can create it on brokers with auto.create.topics.enable=true.
    checkTopic: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(topic)) {
          throw new Error(`topic ${topic} does not exist (run topics:apply)`);
        }
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  });
}

/**
 * kafkajs narrates every failed connect and retry (several lines per attempt while Kafka is
 * down, plus a warning per new producer about bounded retries). The batching producer already
 * logs each failure with its error once, so kafkajs is only heard at LOG_LEVEL=debug or trace.
 */
function kafkajsLogger(logger: Logger): Logger {
  const verbose = logger.levelVal <= logger.levels.values.debug!;
  const quietest = Math.max(logger.levelVal, logger.levels.values.error!);
  const level = verbose ? logger.level : logger.levels.labels[quietest]!;
  return logger.child({ component: 'kafkajs' }, { level });
}
