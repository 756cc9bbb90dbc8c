import { performance } from 'node:perf_hooks';
import type { Message, Producer } from 'kafkajs';
import { IngressError, type IngressErrorCode } from '../../common/src/errors.js';
import type { Logger } from '../../common/src/logger.js';
import type { IngressMetrics } from './metrics.js';

// kafkajs has no linger.ms: one `send` per HTTP request would cost one broker round trip each.
// This queue turns concurrent requests into one `sendBatch` and resolves each request when its
// batch is acknowledged (acks=all). Two kafkajs 2.2.4 hazards shape it:
//
//  1. The idempotent producer's sequence numbers per partition are only trustworthy when one
//     sendBatch is in flight at a time. So there is exactly one; whatever arrives meanwhile waits
//     and leaves together as the next batch (group commit), which is also what keeps batches big.
//  2. When a sendBatch fails (or is abandoned after the timeout) kafkajs rolls its sequence
//     numbers back although the broker may have written the batch. The next batch would reuse
//     those numbers and the broker would deduplicate it: acked but not written, a lost 200.
//     So after ANY failed send the producer is thrown away and a fresh one (new producer id) is
//     connected before anything else is sent.
//
// A request that times out, or whose batch fails, is answered 429 and never 200 later. Records
// of a failed batch may still be in ghl.raw: GHL retries the 429 and the transformer deduplicates
// by event ID. That is at-least-once, never a lost acknowledgement.

/** A ghl.raw record: key = event ID, value = the exact request bytes (a kafkajs Message). */
export interface RawRecord extends Message {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** What the HTTP layer needs from Kafka; tests put a fault-injecting one in its place. */
export interface RecordSink {
  /** Resolves once Kafka acknowledged the record; rejects with a 429 IngressError otherwise. */
  produce(record: RawRecord): Promise<void>;
  /** Producer connected and the topic known: what /readyz reports. */
  isReady(): boolean;
  /** Requests waiting for an ack. */
  pending(): number;
  /** Refuse new records (ING_ERR_SHUTTING_DOWN); those already taken still go out. */
  beginShutdown(): void;
  /** beginShutdown, wait for every taken record to settle, disconnect. */
  close(): Promise<void>;
}

export type ProducerLike = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;

export interface BatchingProducerOptions {
  topic: string;
  lingerMs: number;
  maxBatch: number;
  maxBatchBytes: number;
  timeoutMs: number;
  maxInFlight: number;
  /** Returns a NEW kafkajs producer (it gets a new producer id when it connects). */
  createProducer: () => ProducerLike;
  /** Rejects unless `topic` exists; runs on every (re)connect and as the idle health check. */
  checkTopic: () => Promise<void>;
  /**
   * While ready and idle (no acknowledged send for this long, nothing in flight), checkTopic runs
   * this often; a failed or hung check (longer than the interval) means Kafka is unreachable:
   * the producer is replaced, /readyz answers 503 and requests 429 until it is back. Without it,
   * an ingress without traffic would report ready through a whole outage. 0 turns it off.
   */
  healthCheckMs?: number;
  logger: Logger;
  metrics?: IngressMetrics;
  /** Reconnect backoff while Kafka is down: doubles from initialMs up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * ready: connected, sending. recovering: the previous producer failed, a new one is connecting;
 * requests queue. down: a connect attempt failed; requests fail fast, reconnects continue in the
 * background. Before the first successful connect the state is down as well.
 */
type State = 'ready' | 'recovering' | 'down' | 'closed';
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

const noop = () => undefined;
// A reconnect attempt against a broker that is down fails at once (connection refused), so a 1 s
// cap costs nothing while it is down and puts the ingress back within about a second of its
// return (a 5 s cap measured 4.3 s after a broker kill -9).
const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 1000 };

export class BatchingProducer implements RecordSink {
  private state: State = 'down';
  private started = false;
  private shuttingDown = false;
  private producer: ProducerLike | undefined;
  private queue: Pending[] = [];
  private queuedLive = 0;
  private queuedBytes = 0;
  private outstanding = 0;
  private inFlight: Batch | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerImmediate: NodeJS.Immediate | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last acknowledged send or passed health check. */
  private lastOkAt = 0;
  private checking = false;
  private connecting = false;
  private backoffMs: number;
  private failedAttempts = 0;
  private readyWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly log: Logger;
  private readonly flushNow = () => {
    this.lingerTimer = undefined;
    this.lingerImmediate = undefined;
    this.flush();
  };

  constructor(private readonly opts: BatchingProducerOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.backoffMs = this.backoff.initialMs;
    this.log = opts.logger.child({ component: 'batching-producer', topic: opts.topic });
    opts.metrics?.producerReady.set(0);
  }

  /**
   * Starts connecting, retrying with backoff until it works; resolves when the producer is first
   * ready (or closed). main.ts does not wait for it: with Kafka down the ingress answers 429.
   */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.connect();
      const every = this.opts.healthCheckMs ?? 0;
      if (every > 0) {
        this.healthTimer = setInterval(() => void this.healthCheck(every), every);
        this.healthTimer.unref();
      }
    }
    return this.whenReady();
  }

  whenReady(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  isReady(): boolean {
    return this.state === 'ready';
  }

  pending(): number {
    return this.outstanding;
  }

  produce(record: RawRecord): Promise<void> {
    if (this.shuttingDown) return rejected('ING_ERR_SHUTTING_DOWN');
    // Known down: answer now instead of holding the request for the whole timeout.
    if (this.state === 'down' || this.state === 'closed')
      return rejected('ING_ERR_KAFKA_UNAVAILABLE');
    if (this.outstanding >= this.opts.maxInFlight) return rejected('ING_ERR_OVERLOADED');
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

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async close(): Promise<void> {
    this.beginShutdown();
    if (this.state === 'closed') return;
    // Every pending request settles by its own timer at the latest, so this wait is bounded.
    if (this.outstanding > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.state = 'closed';
    this.opts.metrics?.producerReady.set(0);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.healthTimer);
    this.clearLinger();
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    const producer = this.producer;
    this.producer = undefined;
    await producer
      ?.disconnect()
      .catch((err: unknown) => this.log.warn({ err }, 'disconnect failed'));
  }

  // -- batching ---------------------------------------------------------------------------------

  private schedule(): void {
    if (this.inFlight !== undefined || this.state !== 'ready' || this.queuedLive === 0) return;
    if (this.queuedLive >= this.opts.maxBatch || this.queuedBytes >= this.opts.maxBatchBytes) {
      this.flush();
    } else if (this.lingerTimer === undefined && this.lingerImmediate === undefined) {
      // Linger 0 still waits for the end of this event-loop turn: every request whose body
      // arrived in the same I/O poll joins the batch.
      if (this.opts.lingerMs > 0) this.lingerTimer = setTimeout(this.flushNow, this.opts.lingerMs);
      else this.lingerImmediate = setImmediate(this.flushNow);
    }
  }

  private clearLinger(): void {
    clearTimeout(this.lingerTimer);
    if (this.lingerImmediate !== undefined) clearImmediate(this.lingerImmediate);
    this.lingerTimer = undefined;
    this.lingerImmediate = undefined;
  }

  /** Sends the head of the queue as one sendBatch, unless one is already in flight. */
  private flush(): void {
    this.clearLinger();
    const producer = this.producer;
    if (this.inFlight !== undefined || this.state !== 'ready' || producer === undefined) return;
    const items = this.takeBatch();
    if (items.length === 0) return;
    const batch: Batch = { items, producer, startedAt: performance.now(), abandonTimer: undefined };
    this.inFlight = batch;
    // kafkajs retries inside sendBatch and can keep doing so well past our deadline; a batch
    // that has not settled by then is abandoned together with its producer.
    batch.abandonTimer = setTimeout(() => this.abandon(batch), this.opts.timeoutMs);
    const messages: Message[] = new Array<Message>(items.length);
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
      this.lastOkAt = now;
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
    this.replaceProducer();
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
    this.replaceProducer();
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

  // -- connection lifecycle ---------------------------------------------------------------------

  /** The idle health check (see healthCheckMs): traffic proves Kafka is there, silence does not. */
  private async healthCheck(timeoutMs: number): Promise<void> {
    const producer = this.producer;
    if (this.state !== 'ready' || this.checking || this.inFlight !== undefined) return;
    if (performance.now() - this.lastOkAt < timeoutMs) return;
    this.checking = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.opts.checkTopic(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      this.lastOkAt = performance.now();
    } catch (err) {
      // Only if nothing changed meanwhile (a send may have failed and replaced it already).
      if (this.state === 'ready' && this.producer === producer && this.inFlight === undefined) {
        this.log.warn({ err }, 'Kafka health check failed; reconnecting, 429 until it is back');
        this.replaceProducer();
      }
    } finally {
      clearTimeout(timer);
      this.checking = false;
    }
  }

  /** Hazard 2 above: a producer that saw a failed send is never used again. */
  private replaceProducer(): void {
    const old = this.producer;
    this.producer = undefined;
    this.opts.metrics?.producerRecreations.inc();
    this.opts.metrics?.producerReady.set(0);
    old?.disconnect().catch(noop);
    if (this.state === 'closed') return;
    this.state = 'recovering';
    this.connect();
  }

  private connect(): void {
    if (this.connecting || this.state === 'closed') return;
    this.connecting = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    void this.attemptConnect().finally(() => {
      this.connecting = false;
    });
  }

  private async attemptConnect(): Promise<void> {
    let producer: ProducerLike | undefined;
    try {
      producer = this.opts.createProducer();
      await producer.connect();
      await this.opts.checkTopic();
    } catch (err) {
      producer?.disconnect().catch(noop);
      this.failedAttempts++;
      this.log.warn(
        { err, attempt: this.failedAttempts, retryInMs: this.backoffMs },
        'Kafka unavailable; answering 429 until it is back',
      );
      this.markDown();
      return;
    }
    if (this.state === 'closed') {
      producer.disconnect().catch(noop);
      return;
    }
    if (this.failedAttempts > 0) this.log.info({ attempts: this.failedAttempts }, 'Kafka is back');
    else this.log.info('producer connected');
    this.producer = producer;
    this.state = 'ready';
    this.lastOkAt = performance.now();
    this.failedAttempts = 0;
    this.backoffMs = this.backoff.initialMs;
    this.opts.metrics?.producerReady.set(1);
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    this.schedule();
  }

  /** Fail fast from now on: queued requests get their 429 now, reconnects go on with backoff. */
  private markDown(): void {
    if (this.state === 'closed') return;
    this.state = 'down';
    const queued = this.queue;
    this.queue = [];
    this.failAll(queued, 'ING_ERR_KAFKA_UNAVAILABLE');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.backoff.maxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }
}

const rejected = (code: IngressErrorCode): Promise<never> => Promise.reject(new IngressError(code));

/** Per-record framing of a Kafka v2 record (length, attributes, deltas, varint lengths), rounded up. */
const RECORD_OVERHEAD = 24;

/**
 * What a record adds to a record batch: value, key and headers. The broker refuses a batch over
 * message.max.bytes (1 MB by default) as a whole, so maxBatchBytes must count all of it, not
 * only the bodies: 1,000 one-KB webhooks carry ~0.3 MB of keys and headers on top.
 */
export function recordBytes(record: RawRecord): number {
  let bytes = RECORD_OVERHEAD + record.value.length + Buffer.byteLength(record.key);
  for (const name in record.headers) {
    bytes += name.length + Buffer.byteLength(record.headers[name]!) + 2;
  }
  return bytes;
}
