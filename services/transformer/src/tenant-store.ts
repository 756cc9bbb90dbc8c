import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { withLeaderRetry } from '../../common/src/leader-retry.js';
import type { Logger } from '../../common/src/logger.js';
import { TenantMap } from '../../common/src/tenants-record.js';

/**
 * locationId -> tenantId for the transformer: the shared tenants record rule (TenantMap in
 * services/common/src/tenants-record.ts) over TENANT_MAP_FILE and the compacted tenants topic,
 * followed for the life of the process. Kept in memory: one lookup per record.
 */
export class TenantStore {
  private readonly map = new TenantMap();
  private consumer: Consumer | undefined;

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
   * Follows the tenants topic for the life of the process. Resolves once everything that was in
   * the topic at start has been read, so no early event gets a null tenant it should not have.
   */
  async follow(
    kafka: Kafka,
    topic: string,
    groupPrefix: string,
    catchUpTimeoutMs: number,
  ): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        this.logger.warn({ topic }, 'tenants topic does not exist; using TENANT_MAP_FILE only');
        return;
      }
      ends = new Map(
        (await withLeaderRetry(admin, topic, () => admin.fetchTopicOffsets(topic))).map((o) => [
          o.partition,
          BigInt(o.high),
        ]),
      );
    } finally {
      await admin.disconnect();
    }
    const consumer = kafka.consumer({
      groupId: `${groupPrefix}-tenants-${randomUUID()}`,
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    const behind = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
    let caughtUp!: () => void;
    const done = new Promise<void>((resolve) => (caughtUp = resolve));
    if (behind.size === 0) caughtUp();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.key) this.apply(message.key.toString(), message.value);
        if (behind.has(partition) && BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) {
          behind.delete(partition);
          if (behind.size === 0) caughtUp();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`tenants topic ${topic} not read within ${catchUpTimeoutMs} ms`)),
        catchUpTimeoutMs,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
