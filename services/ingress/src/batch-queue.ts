// The batching producer's queue: requests waiting for their ack, grouped into one sendBatch at a
// time (hazard 1 in batching-producer.ts). Each request is answered once: resolved when its batch
// is acknowledged, rejected with a 429 IngressError when its own deadline passes or its batch
// fails. Which producer to send with, and replacing it after a failed send (hazard 2), belong to
// the BatchingProducer that owns this queue.
import { performance } from 'node:perf_hooks';
import type { OutboundRecord } from '../../common/src/kafka/records.js';
import { IngressError, type IngressErrorCode } from '../../common/src/errors.js';
import type { Logger } from '../../common/src/logger.js';
import {
  recordBytes,
  type BatchingProducerOptions,
  type ProducerLike,
  type RawRecord,
} from './producer-types.js';

type PendingState = 'queued' | 'sent' | 'done';

interface Pending {
  readonly record: RawRecord;
  /** Bytes the record adds to a produce request (see recordBytes). */
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: IngressError) => void;
  readonly enqueuedAt: number;
  timer: NodeJS.Timeout | undefined;
  state: PendingState;
}

interface Batch {
  readonly items: Pending[];
  readonly producer: ProducerLike;
  readonly startedAt: number;
  abandonTimer: NodeJS.Timeout | undefined;
}

/** What the queue needs from the connection it sends over; the BatchingProducer provides it. */
export interface BatchConnection {
  /** The connection is in its ready state: batches may go out. */
  isReady(): boolean;
  /** The producer to send with; undefined while none is connected. */
  producer(): ProducerLike | undefined;
  /** A batch was acknowledged at `at` (performance.now(), ms): Kafka is there. */
  acked(at: number): void;
  /** A batch failed or was abandoned (its requests got 429): its producer must not be reused. */
  sendFailed(): void;
}

/** The options the queue uses (see BatchingProducerOptions). */
export type BatchQueueOptions = Pick<
  BatchingProducerOptions,
  'topic' | 'lingerMs' | 'maxBatch' | 'maxBatchBytes' | 'timeoutMs' | 'metrics'
>;

const noop = () => undefined;

/** The queue and the one batch in flight of a BatchingProducer, which owns and drives it. */
export class BatchQueue {
  private queue: Pending[] = [];
  private queuedLive = 0;
  private queuedBytes = 0;
  private outstanding = 0;
  private inFlight: Batch | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerImmediate: NodeJS.Immediate | undefined;
  private drainWaiters: (() => void)[] = [];
  private readonly flushNow = () => {
    this.lingerTimer = undefined;
    this.lingerImmediate = undefined;
    this.flush();
  };

  constructor(
    private readonly opts: BatchQueueOptions,
    private readonly connection: BatchConnection,
    private readonly log: Logger,
  ) {}

  /** Requests taken and not answered yet (queued or in the batch in flight). */
  pending(): number {
    return this.outstanding;
  }

  /** A sendBatch is in flight. */
  sending(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * Queues a record; resolves once its batch is acknowledged, rejects with a 429 IngressError:
   * ING_ERR_PRODUCE_TIMEOUT after timeoutMs, ING_ERR_KAFKA_UNAVAILABLE when its batch fails or
   * Kafka goes down. The caller has checked the state and maxInFlight already.
   */
  enqueue(record: RawRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        record,
        bytes: recordBytes(record),
        resolve,
        reject,
        enqueuedAt: performance.now(),
        timer: undefined,
        state: 'queued',
      };
      pending.timer = setTimeout(() => this.expire(pending), this.opts.timeoutMs);
      this.queue.push(pending);
      this.queuedLive++;
      this.queuedBytes += pending.bytes;
      this.outstanding++;
      this.schedule();
    });
  }

  /** Resolves once every request taken so far is answered; each one's timer bounds the wait. */
  drained(): Promise<void> {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Answers every request still queued with a 429 of `code`; the batch in flight is left alone. */
  failQueued(code: IngressErrorCode): void {
    const queued = this.queue;
    this.queue = [];
    this.failAll(queued, code);
  }

  /** Flushes now when a batch is full, else once the linger passes; only while ready and idle. */
  schedule(): void {
    if (this.inFlight !== undefined || !this.connection.isReady() || this.queuedLive === 0) return;
    if (this.queuedLive >= this.opts.maxBatch || this.queuedBytes >= this.opts.maxBatchBytes) {
      this.flush();
    } else if (this.lingerTimer === undefined && this.lingerImmediate === undefined) {
      // Linger 0 still waits for the end of this event-loop turn: every request whose body
      // arrived in the same I/O poll joins the batch.
      if (this.opts.lingerMs > 0) this.lingerTimer = setTimeout(this.flushNow, this.opts.lingerMs);
      else this.lingerImmediate = setImmediate(this.flushNow);
    }
  }

  /** Cancels a linger flush that is waiting (close, or a flush that happens first). */
  clearLinger(): void {
    clearTimeout(this.lingerTimer);
    if (this.lingerImmediate !== undefined) clearImmediate(this.lingerImmediate);
    this.lingerTimer = undefined;
    this.lingerImmediate = undefined;
  }

  /** Sends the head of the queue as one sendBatch, unless one is already in flight. */
  private flush(): void {
    this.clearLinger();
    const producer = this.connection.producer();
    if (this.inFlight !== undefined || !this.connection.isReady() || producer === undefined) return;
    const items = this.takeBatch();
    if (items.length === 0) return;
    const batch: Batch = { items, producer, startedAt: performance.now(), abandonTimer: undefined };
    this.inFlight = batch;
    // kafkajs retries inside sendBatch and can keep doing so well past our deadline; a batch
    // that has not settled by then is abandoned together with its producer.
    batch.abandonTimer = setTimeout(() => this.abandon(batch), this.opts.timeoutMs);
    const messages: OutboundRecord[] = new Array<OutboundRecord>(items.length);
    for (let i = 0; i < items.length; i++) messages[i] = items[i]!.record;
    producer
      .sendBatch({
        topicMessages: [{ topic: this.opts.topic, messages }],
        acks: -1,
        timeout: this.opts.timeoutMs,
      })
      .then(
        () => this.settle(batch, undefined),
        (err: unknown) => this.settle(batch, err ?? new Error('sendBatch failed')),
      );
  }

  /** Up to maxBatch live requests (and maxBatchBytes, but at least one) from the queue head. */
  private takeBatch(): Pending[] {
    const { maxBatch, maxBatchBytes } = this.opts;
    const queue = this.queue;
    const items: Pending[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < queue.length && items.length < maxBatch; i++) {
      const pending = queue[i]!;
      if (pending.state !== 'queued') continue; // timed out while queued: dropped here
      const size = pending.bytes;
      if (items.length > 0 && bytes + size > maxBatchBytes) break;
      pending.state = 'sent';
      items.push(pending);
      bytes += size;
    }
    this.queue = i >= queue.length ? [] : queue.slice(i);
    this.queuedLive -= items.length;
    this.queuedBytes -= bytes;
    return items;
  }

  private settle(batch: Batch, err: unknown): void {
    clearTimeout(batch.abandonTimer);
    if (this.inFlight !== batch) {
      // Abandoned earlier: its requests were answered 429 already. kafkajs may have reconnected
      // the thrown-away producer while retrying, so close it again.
      batch.producer.disconnect().catch(noop);
      return;
    }
    this.inFlight = undefined;
    const metrics = this.opts.metrics;
    const now = performance.now();
    metrics?.batchSize.observe(batch.items.length);
    metrics?.batchDuration.observe((now - batch.startedAt) / 1000);
    if (err === undefined) {
      this.connection.acked(now);
      for (const pending of batch.items) {
        if (pending.state !== 'sent') continue;
        metrics?.produceLatency.observe((now - pending.enqueuedAt) / 1000);
        this.finish(pending);
        pending.resolve();
      }
      this.checkDrained();
      // Group commit: everything that queued during this send leaves now, without lingering.
      this.flush();
      return;
    }
    this.log.warn(
      { err, records: batch.items.length },
      'sendBatch failed; answering 429 and replacing the producer',
    );
    this.failAll(batch.items, 'ING_ERR_KAFKA_UNAVAILABLE');
    this.connection.sendFailed();
  }

  private abandon(batch: Batch): void {
    if (this.inFlight !== batch) return;
    this.inFlight = undefined;
    this.log.warn(
      { records: batch.items.length, timeoutMs: this.opts.timeoutMs },
      'sendBatch not acknowledged in time; abandoning it and replacing the producer',
    );
    this.opts.metrics?.batchDuration.observe((performance.now() - batch.startedAt) / 1000);
    this.failAll(batch.items, 'ING_ERR_PRODUCE_TIMEOUT');
    this.connection.sendFailed();
  }

  /** A request's own deadline: answered 429 whether it is still queued or already sent. */
  private expire(pending: Pending): void {
    if (pending.state === 'done') return;
    if (pending.state === 'queued') {
      this.queuedLive--;
      this.queuedBytes -= pending.bytes;
    }
    pending.timer = undefined;
    this.finish(pending);
    pending.reject(new IngressError('ING_ERR_PRODUCE_TIMEOUT'));
    this.checkDrained();
  }

  private finish(pending: Pending): void {
    pending.state = 'done';
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    this.outstanding--;
  }

  private failAll(items: readonly Pending[], code: IngressErrorCode): void {
    for (const pending of items) {
      if (pending.state === 'done') continue;
      if (pending.state === 'queued') {
        this.queuedLive--;
        this.queuedBytes -= pending.bytes;
      }
      this.finish(pending);
      pending.reject(new IngressError(code));
    }
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.outstanding === 0 && this.drainWaiters.length > 0) {
      for (const waiter of this.drainWaiters.splice(0)) waiter();
    }
  }
}
