import type { Admin } from '../../../common/src/kafka/kafka-client.js';
import type { OutboundRecord } from '../../../common/src/kafka/records.js';
import { describeTopicConfigs } from '../../../common/src/kafka/topic-apply.js';
import { singleRecordBatchBytes } from './send-chunks.js';

/** Kafka's default message.max.bytes (1 MiB + 12 bytes of log overhead), used until it is read. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * The max.message.bytes of every topic the transformer writes, as the broker reports it (the
 * topic's own setting, else the broker's message.max.bytes). The worker checks each record
 * against it before sending, so a record the broker would reject for its size goes to the DLQ
 * instead of failing its whole transaction again and again.
 *
 * The limits are read at start, after the broker refuses a record for its size (a limit was
 * lowered), and before a record is dead-lettered or truncated for its size once the last reading
 * is older than `maxAgeMs` (`current`): a limit raised since is seen before it costs an event its
 * output.
 */
export class TopicLimits {
  private readonly limits = new Map<string, number>();
  /** When the last reading ended, read or failed (epoch ms). */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;

  /** `maxAgeMs`: how old a reading may be to dead-letter or truncate a record by it. */
  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
    private readonly maxAgeMs: number,
  ) {}

  /**
   * Reads the limits from the broker (DescribeConfigs); joins a reading in flight. Throws what
   * kafkajs throws; a failed reading counts as checked too (`current`), so a broker that cannot
   * describe configs never holds a record back for good.
   */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.checkedAt = Date.now();
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    const configs = await describeTopicConfigs(this.admin, this.topics, ['max.message.bytes']);
    for (const [topic, entries] of configs) {
      const value = Number(entries.find((e) => e.name === 'max.message.bytes')?.value);
      if (Number.isFinite(value) && value > 0) this.limits.set(topic, value);
    }
  }

  /** Whether the limits were read (or a reading failed) within `maxAgeMs` before `now` (epoch ms). */
  current = (now: number): boolean => now - this.checkedAt <= this.maxAgeMs;

  /** Largest record batch `topic` accepts, in bytes. */
  limitOf = (topic: string): number => this.limits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;

  /** Whether `m`, alone in a record batch, is within `topic`'s limit. */
  fits(topic: string, m: OutboundRecord): boolean {
    return singleRecordBatchBytes(m) <= this.limitOf(topic);
  }
}
