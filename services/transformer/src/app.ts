import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Admin, Kafka } from '../../common/src/kafka/kafka-client.js';
import { supervisedRetry } from '../../common/src/kafka/consumer-supervisor.js';
import { createKafka, parseBrokers } from '../../common/src/kafka/kafka-client.js';
import { describeTransaction } from '../../common/src/kafka/kafkajs-describe-transactions.js';
import { fetchStableOffsets } from '../../common/src/kafka/kafkajs-group-metadata.js';
import { createLogger, type Logger } from '../../common/src/logger.js';
import { startMetricsServer, type MetricsServer } from '../../common/src/metrics-server.js';
import { domainTopicNames, topicNames } from '../../common/src/topics.js';
import type { Tracing } from '../../common/src/tracing.js';
import { ChangelogReader } from './eos/changelog-reader.js';
import { transactionTimeoutMs, type TransformerConfig } from './config.js';
import { EosLoop } from './eos/eos-loop.js';
import { InstanceTransactions } from './eos/instance-transactions.js';
import { createTransformerMetrics, type TransformerMetrics } from './metrics.js';
import { RecordTracing } from './eos/record-tracing.js';
import { registerSchemas } from './avro/schema-catalog.js';
import { TenantStore } from './tenant-store.js';
import { TopicLimits } from './eos/topic-limits.js';
import type { Encoder } from './eos/transaction-plan.js';
import { transform as defaultTransform } from './mapping/transform.js';
import type { Decision, RawRecord, TransformContext } from './mapping/transform-types.js';

/** How long a takeover waits for the transaction coordinator's description (ms). */
const DESCRIBE_TRANSACTION_TIMEOUT_MS = 30_000;

export interface TransformerDeps {
  logger?: Logger;
  /** Replaces the registry-backed encoder (tests inject faults through it). */
  encoder?: Encoder;
  transform?: (raw: RawRecord, ctx: TransformContext) => Decision;
  /** OpenTelemetry tracing (common/src/tracing.ts): a span per record when on. */
  tracing?: Tracing;
}

export interface Transformer {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly metrics: TransformerMetrics;
  /** Port of the metrics endpoint once started (useful with TRANSFORMER_METRICS_PORT=0). */
  readonly metricsPort: number | undefined;
  ownedPartitions(): number[];
  /**
   * The tenant this instance maps `locationId` to right now (the tenants topic, else
   * TENANT_MAP_FILE); undefined when unknown. Updates to the topic arrive asynchronously.
   */
  tenantOf(locationId: string): string | undefined;
}

/** Builds the transformer (docs/style.md): nothing connects until `start()`. */
/**
 * The client-level kafkajs retry: every consumer's, producer's and admin's broker pool reconnects
 * and coordinator lookups use it (a consumer's own `retry` option does not reach its broker pool).
 * kafkajs' default cap is 30 s per wait: after an outage, a reconnect attempt still sleeping
 * (waits of 15-21 s were logged) delayed the rejoin by that much. Capped at 1 s, with more
 * retries so the total budget stays ~17 s (coordinator loading after a broker restart fits).
 */
export const TRANSFORMER_CLIENT_RETRY = {
  initialRetryTime: 100,
  maxRetryTime: 1000,
  retries: 20,
} as const;

export function createTransformer(
  config: TransformerConfig,
  deps: TransformerDeps = {},
): Transformer {
  const logger = deps.logger ?? createLogger('transformer', config.LOG_LEVEL);
  const names = topicNames(config.TOPIC_PREFIX);
  const metrics = createTransformerMetrics(undefined, { notReady: () => notReadyReasons() });
  const groupId = config.TRANSFORMER_GROUP_ID;
  const kafka: Kafka = createKafka({
    brokers: parseBrokers(config.KAFKA_BROKERS),
    clientId: `transformer-${hostname()}-${process.pid}`,
    logger: logger.child({ component: 'kafkajs' }),
    retry: TRANSFORMER_CLIENT_RETRY,
  });
  const tenants = new TenantStore(logger);
  let admin: Admin | undefined;
  let reader: ChangelogReader | undefined;
  let loop: EosLoop | undefined;
  let server: MetricsServer | undefined;
  let started = false;
  /** What /readyz and the `transformer_ready` gauge report: empty when ready. */
  const notReadyReasons = (): readonly string[] =>
    !started ? ['starting'] : (loop?.notReadyReasons() ?? ['starting']);

  async function start(): Promise<void> {
    const deadline = Date.now() + config.TRANSFORMER_START_TIMEOUT_MS;
    if (config.TENANT_MAP_FILE) tenants.loadFile(config.TENANT_MAP_FILE);
    server = await startMetricsServer(metrics.registry, {
      host: config.TRANSFORMER_METRICS_HOST,
      port: config.TRANSFORMER_METRICS_PORT,
      notReady: notReadyReasons,
    });
    const encoder =
      deps.encoder ??
      (await registerSchemas(config.SCHEMA_REGISTRY_URL, names, { logger, deadline }));
    admin = kafka.admin();
    await admin.connect();
    const limits = new TopicLimits(
      admin,
      [...domainTopicNames(names), names.dlq, names.dedup],
      config.TRANSFORMER_TOPIC_LIMITS_MAX_AGE_MS,
    );
    await limits.refresh();
    await tenants.follow(kafka, names.tenants, groupId, Math.max(1000, deadline - Date.now()));
    reader = new ChangelogReader(kafka, names.dedup, groupId, logger);
    await reader.start();
    const consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: config.TRANSFORMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: config.TRANSFORMER_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: Math.max(60_000, config.TRANSFORMER_SESSION_TIMEOUT_MS * 2),
      maxBytesPerPartition: config.TRANSFORMER_MAX_BYTES_PER_PARTITION,
      maxWaitTimeInMs: 100,
      retry: supervisedRetry(),
    });
    const transactions = {
      describe: (id: string) => describeTransaction(kafka, id, DESCRIBE_TRANSACTION_TIMEOUT_MS),
    };
    const shared =
      config.TRANSFORMER_TRANSACTIONS === 'per-instance'
        ? new InstanceTransactions({
            kafka,
            admin,
            transactions,
            names,
            limits,
            metrics,
            logger,
            group: () => loop?.groupMetadata,
            membershipRejected: (used) => loop?.membershipRejected(used),
            stableOffsets: (partitions) =>
              fetchStableOffsets(kafka, {
                groupId,
                topic: names.raw,
                partitions,
                timeoutMs: config.TRANSFORMER_RESTORE_TIMEOUT_MS,
              }),
            settings: {
              groupId,
              transactionalId: `${groupId}-${names.raw}-instance-${config.TRANSFORMER_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`}`,
              transactionTimeoutMs: transactionTimeoutMs(config),
              maxTransactionRecords: config.TRANSFORMER_MAX_TRANSACTION_RECORDS,
              transactionGapMs: config.TRANSFORMER_TRANSACTION_GAP_MS,
              slowTransactionMs: config.TRANSFORMER_SLOW_TRANSACTION_MS,
            },
          })
        : undefined;
    loop = new EosLoop(
      consumer,
      {
        kafka,
        admin,
        transactions,
        shared,
        names,
        reader,
        encoder,
        context: {
          tenantOf: tenants.tenantOf,
          unknownTenantPolicy: config.UNKNOWN_TENANT_POLICY,
          unmappedEventPolicy: config.UNMAPPED_EVENT_POLICY,
        },
        transform: deps.transform ?? defaultTransform,
        metrics,
        logger,
        limits,
        tracing: deps.tracing?.enabled
          ? new RecordTracing(deps.tracing, names.raw, groupId)
          : undefined,
        settings: {
          groupId,
          dedupWindowMs: config.DEDUP_WINDOW_MS,
          transactionTimeoutMs: transactionTimeoutMs(config),
          restoreTimeoutMs: config.TRANSFORMER_RESTORE_TIMEOUT_MS,
          maxRecordAttempts: config.TRANSFORMER_MAX_RECORD_ATTEMPTS,
          expirySweepLimit: 1000,
          maxTransactionRecords: config.TRANSFORMER_MAX_TRANSACTION_RECORDS,
          transactionGapMs: config.TRANSFORMER_TRANSACTION_GAP_MS,
          slowTransactionMs: config.TRANSFORMER_SLOW_TRANSACTION_MS,
        },
      },
      {
        partitionsConsumedConcurrently: config.TRANSFORMER_CONCURRENCY,
        maxQueuedRecords: config.TRANSFORMER_MAX_QUEUED_RECORDS,
        heartbeatIntervalMs: config.TRANSFORMER_HEARTBEAT_INTERVAL_MS,
        backoffInitialMs: config.TRANSFORMER_BACKOFF_INITIAL_MS,
        backoffMaxMs: config.TRANSFORMER_BACKOFF_MAX_MS,
        kafkaStaleMs: config.TRANSFORMER_HEARTBEAT_INTERVAL_MS + 3000,
      },
      logger,
    );
    await loop.start();
    started = true;
    logger.info({ group: groupId, input: names.raw, tenants: tenants.size }, 'transformer started');
  }

  async function close(): Promise<void> {
    started = false;
    await loop?.stop();
    await reader?.stop().catch(() => undefined);
    await tenants.stop().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await server?.close();
  }

  return {
    start,
    close,
    metrics,
    get metricsPort() {
      return server?.port;
    },
    ownedPartitions: () => loop?.ownedPartitions ?? [],
    tenantOf: (locationId) => tenants.tenantOf(locationId),
  };
}
