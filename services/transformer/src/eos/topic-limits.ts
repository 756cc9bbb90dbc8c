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
 * output. Such a record is then judged by the first reading that started after it was found too
 * old to judge (`readingsStarted`, `readSince`), however long its partition backed off meanwhile.
 */
export class TopicLimits {
  private readonly limits = new Map<string, number>();
  /** When the last reading that ended started, read or failed (epoch ms). */
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** Readings started so far; each reading's number is the count when it started. */
  private started = 0;
  /** The number of the last reading that ended, read or failed. */
  private ended = 0;
  private reading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** `maxAgeMs`: how old a reading may be to dead-letter or truncate a record by it. */
  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
    private readonly maxAgeMs: number,
  ) {}

  /**
   * Reads the limits from the broker (DescribeConfigs) in a reading that starts no earlier than
   * this call: one in flight is followed by another, which later callers join. Throws what
   * kafkajs throws; a failed reading counts as checked too (`current`, `readSince`), so a broker
   * that cannot describe configs never holds a record back for good.
   */
  refresh(): Promise<void> {
    // Until the queued reading starts, callers join it (also once the reading before it ended).
    if (this.queued) return this.queued;
    if (!this.reading) return this.start();
    this.queued = this.reading
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  /** Starts a reading; refresh() never lets two overlap, so they end in the order they start. */
  private start(): Promise<void> {
    const number = ++this.started;
    const startedAt = Date.now();
    this.reading = this.read().finally(() => {
      this.checkedAt = startedAt;
      this.ended = number;
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

  /** Whether a reading that started within `maxAgeMs` before `now` (epoch ms) has ended. */
  current = (now: number): boolean => now - this.checkedAt <= this.maxAgeMs;

  /** Readings started so far: `readSince` of this number tells whether a later one has ended. */
  get readingsStarted(): number {
    return this.started;
  }

  /** Whether a reading started after reading number `number` (`readingsStarted`) has ended. */
  readSince = (number: number): boolean => this.ended > number;

  /** Largest record batch `topic` accepts, in bytes. */
  limitOf = (topic: string): number => this.limits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;

  /** Whether `m`, alone in a record batch, is within `topic`'s limit. */
  fits(topic: string, m: OutboundRecord): boolean {
    return singleRecordBatchBytes(m) <= this.limitOf(topic);
  }
}
