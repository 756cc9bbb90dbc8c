import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Consumer, Kafka } from 'kafkajs';
import { withLeaderRetry } from '../../common/src/leader-retry.js';
import type { Logger } from '../../common/src/logger.js';

/**
 * locationId -> tenantId. Sources: an optional JSON file ({"<locationId>": "<tenantId>", …}) as
 * the base, and the compacted tenants topic (key locationId, value {"tenantId": "…"} or a bare
 * string; tombstone removes), whose entries win. Kept in memory: one lookup per record.
 */
export class TenantStore {
  private readonly fromFile = new Map<string, string>();
  private readonly fromTopic = new Map<string, string>();
  private consumer: Consumer | undefined;

  constructor(private readonly logger: Logger) {}

  tenantOf = (locationId: string): string | undefined =>
    this.fromTopic.get(locationId) ?? this.fromFile.get(locationId);

  get size(): number {
    return new Set([...this.fromFile.keys(), ...this.fromTopic.keys()]).size;
  }

  loadFile(path: string): void {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error(`TENANT_MAP_FILE ${path} must hold a JSON object {"locationId": "tenantId"}`);
    }
    for (const [location, tenant] of Object.entries(parsed)) {
      if (typeof tenant !== 'string')
        throw new Error(`TENANT_MAP_FILE ${path}: tenant of ${location} is not a string`);
      this.fromFile.set(location, tenant);
    }
  }

  /** Applies one tenants-topic record (exported for tests and for the reader below). */
  apply(key: string, value: Buffer | null): void {
    if (value === null) {
      this.fromTopic.delete(key);
      return;
    }
    const tenant = parseTenantValue(value.toString());
    if (tenant === undefined)
      this.logger.warn({ locationId: key }, 'ignoring unreadable tenants record');
    else this.fromTopic.set(key, tenant);
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

/** A tenants-topic value: {"tenantId": "…"} or a bare string; undefined when unreadable. */
export function parseTenantValue(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed === '' ? undefined : trimmed;
  try {
    const parsed = JSON.parse(trimmed) as { tenantId?: unknown };
    return typeof parsed.tenantId === 'string' && parsed.tenantId !== ''
      ? parsed.tenantId
      : undefined;
  } catch {
    return undefined;
  }
}
