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
 */
export class TopicLimits {
  private readonly limits = new Map<string, number>();

  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
  ) {}

  /** Reads the limits from the broker (DescribeConfigs). Throws what kafkajs throws. */
  async refresh(): Promise<void> {
    const configs = await describeTopicConfigs(this.admin, this.topics, ['max.message.bytes']);
    for (const [topic, entries] of configs) {
      const value = Number(entries.find((e) => e.name === 'max.message.bytes')?.value);
      if (Number.isFinite(value) && value > 0) this.limits.set(topic, value);
    }
  }

  /** Largest record batch `topic` accepts, in bytes. */
  limitOf = (topic: string): number => this.limits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;

  /** Whether `m`, alone in a record batch, is within `topic`'s limit. */
  fits(topic: string, m: OutboundRecord): boolean {
    return singleRecordBatchBytes(m) <= this.limitOf(topic);
  }
}
