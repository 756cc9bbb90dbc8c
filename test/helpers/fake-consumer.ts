// A kafkajs group consumer as the exactly-once loop sees it, driven by the test: it pushes the
// group events (join, rebalance) and the fetched batches, and reads back what the loop asked of
// the consumer (seeks, pauses, resolved offsets).
import { EventEmitter } from 'node:events';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';

/** The part of a kafkajs consumer the loop uses; batches and group events are pushed by the test. */
export class FakeConsumer extends EventEmitter {
  readonly events = {
    GROUP_JOIN: 'consumer.group_join',
    REBALANCING: 'consumer.rebalancing',
    REQUEST: 'consumer.network.request',
    CRASH: 'consumer.crash',
  };
  readonly seeks: { partition: number; offset: string }[] = [];
  readonly paused = new Set<number>();
  private eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;

  asConsumer(): Consumer {
    return this as unknown as Consumer;
  }

  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async run(config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.eachBatch = config.eachBatch;
  }

  seek({ partition, offset }: { topic: string; partition: number; offset: string }): void {
    this.seeks.push({ partition, offset });
  }
  pause(topics: { partitions: number[] }[]): void {
    for (const t of topics) for (const p of t.partitions) this.paused.add(p);
  }
  resume(topics: { partitions: number[] }[]): void {
    for (const t of topics) for (const p of t.partitions) this.paused.delete(p);
  }

  /** A GROUP_JOIN; with `generationId`, as kafkajs-member-reuse.ts reports it (member `member-1`). */
  join(topic: string, partitions: number[], generationId?: number): void {
    this.emit(this.events.REQUEST, {});
    this.emit(this.events.GROUP_JOIN, {
      payload: { memberAssignment: { [topic]: partitions }, generationId, memberId: 'member-1' },
    });
  }

  /** kafkajs' runner saw a rebalance error and is about to rejoin (REBALANCING event). */
  rebalancing(): void {
    this.emit(this.events.REBALANCING, { payload: {} });
  }

  /**
   * Delivers `messages` of `partition`, fetched from `fetchedOffset` (default: the first one's
   * offset), as kafkajs' eachBatch would; resolves when the loop returns from it.
   */
  async deliver(
    partition: number,
    messages: KafkaMessage[],
    fetchedOffset = messages[0]?.offset ?? '0',
  ): Promise<{ resolved: string | undefined }> {
    if (!this.eachBatch) throw new Error('not running');
    const last = messages[messages.length - 1]?.offset ?? fetchedOffset;
    const out: { resolved: string | undefined } = { resolved: undefined };
    const batch = {
      topic: 'ghl.raw',
      partition,
      fetchedOffset,
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => last,
      offsetLag: () => '0',
    };
    await this.eachBatch({
      batch,
      resolveOffset: (offset: string) => (out.resolved = offset),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
    return out;
  }
}
