import type { Batch, KafkaConfig, LogEntry } from 'kafkajs';
import { Kafka, logLevel } from './kafkajs.js';
import type { Logger } from '../logger.js';

/**
 * The client handles the services hold (the client, its admin, producers and consumers), named
 * here so that no module outside this folder imports kafkajs; records are the neutral shapes of
 * `records.ts`.
 */
export type {
  Admin,
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  Producer,
  Transaction,
} from 'kafkajs';
export type { Kafka } from './kafkajs.js';

/**
 * The offset the consumer fetched `batch` from (the Fetch request's fetch offset), as a decimal
 * string (an int64). The batch accounts for every offset from it through `batch.lastOffset()`,
 * including those before its first record: compacted away, transaction markers, records of
 * aborted transactions the consumer filtered. kafkajs keeps it on its Batch as `fetchedOffset`
 * without declaring it in its types; this is the one place that reads it.
 */
export const fetchedOffsetOf = (batch: Batch): string =>
  (batch as unknown as { fetchedOffset: string }).fetchedOffset;

// kafkajs warns about its v2 partitioner change on every producer; the pipeline never relied on
// the legacy partitioner, so the warning is noise.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger?: Logger;
  /** kafkajs connection/request timeouts; defaults suit a local loopback broker. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: KafkaConfig['retry'];
}

const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * kafkajs logs every failed request at ERROR even when it retries it successfully ("coordinator
 * is loading" right after a broker start, CONCURRENT_TRANSACTIONS between two transactions).
 * Real failures reach our code as rejected promises and are logged there, so kafkajs' own
 * connection-level errors go to debug and the rest one level down.
 */
const QUIET_MESSAGES = ['Limiting retries for the idempotent producer'];

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const {
        message,
        timestamp: _ts,
        logger: _l,
        ...extra
      } = log as LogEntry['log'] & { logger?: string };
      const name = levelName[level] ?? 'info';
      const quiet = namespace === 'Connection' || QUIET_MESSAGES.some((m) => message.startsWith(m));
      const target = quiet || name === 'info' ? 'debug' : name === 'error' ? 'warn' : name;
      logger[target]({ kafkajs: namespace, ...extra }, message);
    };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? 30000,
    retry: options.retry ?? { initialRetryTime: 100, retries: 8 },
    logLevel: options.logger ? logLevel.INFO : logLevel.NOTHING,
    ...(options.logger ? { logCreator: pinoLogCreator(options.logger) } : {}),
  });
}

export const parseBrokers = (value: string): string[] =>
  value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
