import { randomUUID } from 'node:crypto';
import type {
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  Kafka,
} from '../../../common/src/kafka/kafka-client.js';
import {
  superviseConsumer,
  supervisedRetry,
  type ConsumerSupervisor,
} from '../../../common/src/kafka/consumer-supervisor.js';
import type { Logger } from '../../../common/src/logger.js';
import { MARKER_PREFIX, type DedupPartition } from './dedup-store.js';

interface PendingRestore {
  marker: string;
  into: DedupPartition;
  records: number;
  resolve: (records: number) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Restores a partition's dedup state from the changelog. kafkajs cannot assign single partitions,
 * so one consumer per transformer instance, in a group of its own, holds every changelog
 * partition and keeps them paused; a restore seeks one partition to the start, resumes it, and
 * reads until it meets the marker record the new owner committed right after fencing the old
 * one. Everything committed before the fence precedes the marker in the partition, so reaching
 * the marker means the state is complete (no end-offset arithmetic around control records).
 */
export class ChangelogReader {
  private readonly consumer: Consumer;
  private readonly pending = new Map<number, PendingRestore>();
  private joined: Promise<void>;
  private supervisor: ConsumerSupervisor | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    groupPrefix: string,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}-changelog-reader-${randomUUID()}`,
      readUncommitted: false,
      // All partitions are paused most of the time; a short wait makes a resumed one fetch at once.
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      retry: supervisedRetry(),
    });
    let onJoin!: () => void;
    this.joined = new Promise((resolve) => (onJoin = resolve));
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment[this.topic] ?? [];
      const idle = assigned.filter((p) => !this.pending.has(p));
      if (idle.length > 0) this.consumer.pause([{ topic: this.topic, partitions: idle }]);
      // A (re)joined consumer reads pending partitions from the start again: replaying the
      // changelog into the same state is idempotent (the last record per key wins), only the
      // count starts over.
      for (const p of assigned) {
        const pending = this.pending.get(p);
        if (pending) pending.records = 0;
      }
      onJoin();
    });
  }

  /** What the consumer runs with, at start and at every supervised restart. */
  private readonly runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 4,
    eachBatch: (payload) => this.onBatch(payload),
  };

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    this.supervisor = superviseConsumer(this.consumer, this.runConfig, this.logger);
    await this.consumer.run(this.runConfig);
    await this.joined;
  }

  /** The marker key a new owner writes before calling `restore`. */
  static newMarker(): string {
    return `${MARKER_PREFIX}${randomUUID()}`;
  }

  /** Replays changelog `partition` into `into` up to `marker`; resolves with the record count. */
  restore(
    partition: number,
    marker: string,
    into: DedupPartition,
    timeoutMs: number,
  ): Promise<number> {
    this.pending.get(partition)?.reject(new Error('superseded by a newer restore'));
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish(partition);
        reject(
          new Error(`changelog ${this.topic}[${partition}] not restored within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.set(partition, { marker, into, records: 0, resolve, reject, timer });
      try {
        this.consumer.seek({ topic: this.topic, partition, offset: '0' });
        this.consumer.resume([{ topic: this.topic, partitions: [partition] }]);
      } catch (err) {
        // The consumer crashed and waits for its supervisor to restart it (kafkajs throws here
        // until then). The restore stays pending: the restarted consumer has no committed
        // offsets, so it reads every partition from the start, and GROUP_JOIN leaves pending
        // ones unpaused. Failing here instead cost a takeover backoff per attempt until the
        // restart (up to 10 s after an outage).
        this.logger.debug(
          { partition, err },
          'restore waits for the changelog consumer to restart',
        );
      }
    });
  }

  async stop(): Promise<void> {
    for (const [partition, p] of this.pending) {
      this.finish(partition);
      p.reject(new Error('changelog reader stopped'));
    }
    this.supervisor?.stop();
    await this.consumer.disconnect();
  }

  private finish(partition: number): void {
    const p = this.pending.get(partition);
    if (p) clearTimeout(p.timer);
    this.pending.delete(partition);
    try {
      this.consumer.pause([{ topic: this.topic, partitions: [partition] }]);
    } catch {
      // Not running (crashed, restarting): a restarted consumer pauses idle partitions on join.
    }
  }

  private async onBatch({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> {
    const pending = this.pending.get(batch.partition);
    if (!pending || isStale()) return;
    for (const message of batch.messages) {
      const key = message.key?.toString() ?? '';
      if (key === pending.marker) {
        this.finish(batch.partition);
        this.logger.debug(
          { partition: batch.partition, records: pending.records },
          'dedup state restored',
        );
        pending.resolve(pending.records);
        return;
      }
      if (key.startsWith(MARKER_PREFIX) || key === '') continue;
      pending.into.restore(key, message.value);
      pending.records++;
    }
    resolveOffset(batch.lastOffset());
  }
}
