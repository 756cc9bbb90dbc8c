import type { Kafka } from '../../common/src/kafka/kafka-client.js';
import type { Logger } from '../../common/src/logger.js';
import { TenantMap } from '../../common/src/tenants-record.js';
import {
  followRanges,
  readTopicRange,
  type PartitionRange,
} from '../../common/src/kafka/topic-reader.js';

/**
 * locationId -> tenantId for the transformer: the shared tenants record rule (TenantMap in
 * services/common/src/tenants-record.ts) over TENANT_MAP_FILE and the compacted tenants topic,
 * followed for the life of the process. Kept in memory: one lookup per record.
 */
export class TenantStore {
  private readonly map = new TenantMap();
  private abort: AbortController | undefined;
  private reading: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  tenantOf = (locationId: string): string | undefined => this.map.tenantOf(locationId);

  get size(): number {
    return this.map.size;
  }

  loadFile(path: string): void {
    this.map.loadFile(path);
  }

  /** Applies one tenants-topic record (exported for tests and for the reader below). */
  apply(key: string, value: Buffer | null): void {
    if (this.map.apply(key, value) === 'unreadable')
      this.logger.warn(
        { locationId: key },
        'ignoring unreadable tenants record; the location keeps its tenant',
      );
  }

  /**
   * Follows the tenants topic for the life of the process, through the shared topic reader
   * (services/common/src/kafka/topic-reader.ts). Resolves once everything that was in the topic at
   * start has been read (up to the end captured then, past transaction markers and compaction
   * gaps), so no early event gets a null tenant it should not have; rejects after
   * `catchUpTimeoutMs` otherwise. A crashed consumer is restarted at once and goes on from where
   * it was.
   */
  async follow(
    kafka: Kafka,
    topic: string,
    groupPrefix: string,
    catchUpTimeoutMs: number,
  ): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    let ranges: PartitionRange[];
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        this.logger.warn({ topic }, 'tenants topic does not exist; using TENANT_MAP_FILE only');
        return;
      }
      ranges = await followRanges(admin, topic);
    } finally {
      await admin.disconnect();
    }
    const abort = new AbortController();
    this.abort = abort;
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    const reading = readTopicRange(kafka, {
      topic,
      ranges,
      signal: abort.signal,
      groupPrefix: `${groupPrefix}-tenants`,
      supervise: this.logger,
      onCaughtUp: caughtUp,
      onRecord: (_partition, message) => {
        if (message.key) this.apply(message.key.toString(), message.value);
        return true;
      },
    });
    this.reading = reading.then(
      () => undefined,
      (err: unknown) => this.logger.error({ err }, 'tenants topic no longer followed'),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`tenants topic ${topic} not read within ${catchUpTimeoutMs} ms`)),
        catchUpTimeoutMs,
      );
    });
    const ended = reading.then(() => {
      throw new Error(`tenants topic ${topic}: reading ended before catching up`);
    });
    try {
      await Promise.race([done, timeout, ended]);
    } finally {
      clearTimeout(timer);
      ended.catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.reading;
  }
}
