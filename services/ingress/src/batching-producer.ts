import { performance } from 'node:perf_hooks';
import { IngressError, type IngressErrorCode } from '../../common/src/errors.js';
import type { Logger } from '../../common/src/logger.js';
import { BatchQueue } from './batch-queue.js';
import type {
  BatchingProducerOptions,
  ProducerLike,
  RawRecord,
  RecordSink,
} from './producer-types.js';

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
//
// This file holds the RecordSink surface and the connection lifecycle (states, reconnects with
// backoff, the idle health check); the queue and its batches are in batch-queue.ts, the types
// and recordBytes in producer-types.ts.

/**
 * ready: connected, sending. recovering: the previous producer failed, a new one is connecting;
 * requests queue. down: a connect attempt failed; requests fail fast, reconnects continue in the
 * background. Before the first successful connect the state is down as well.
 */
type State = 'ready' | 'recovering' | 'down' | 'closed';

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
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last acknowledged send or passed health check. */
  private lastOkAt = 0;
  private checking = false;
  private connecting = false;
  private backoffMs: number;
  private failedAttempts = 0;
  private readyWaiters: (() => void)[] = [];
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly log: Logger;
  private readonly batches: BatchQueue;

  constructor(private readonly opts: BatchingProducerOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.backoffMs = this.backoff.initialMs;
    this.log = opts.logger.child({ component: 'batching-producer', topic: opts.topic });
    this.batches = new BatchQueue(
      opts,
      {
        isReady: () => this.state === 'ready',
        producer: () => this.producer,
        acked: (at) => {
          this.lastOkAt = at;
        },
        sendFailed: () => this.replaceProducer(),
      },
      this.log,
    );
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
    return this.batches.pending();
  }

  produce(record: RawRecord): Promise<void> {
    if (this.shuttingDown) return rejected('ING_ERR_SHUTTING_DOWN');
    // Known down: answer now instead of holding the request for the whole timeout.
    if (this.state === 'down' || this.state === 'closed')
      return rejected('ING_ERR_KAFKA_UNAVAILABLE');
    if (this.batches.pending() >= this.opts.maxInFlight) return rejected('ING_ERR_OVERLOADED');
    return this.batches.enqueue(record);
  }

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async close(): Promise<void> {
    this.beginShutdown();
    if (this.state === 'closed') return;
    // Every pending request settles by its own timer at the latest, so this wait is bounded.
    if (this.batches.pending() > 0) await this.batches.drained();
    this.state = 'closed';
    this.opts.metrics?.producerReady.set(0);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.healthTimer);
    this.batches.clearLinger();
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    const producer = this.producer;
    this.producer = undefined;
    await producer
      ?.disconnect()
      .catch((err: unknown) => this.log.warn({ err }, 'disconnect failed'));
  }

  // -- connection lifecycle ---------------------------------------------------------------------

  /** The idle health check (see healthCheckMs): traffic proves Kafka is there, silence does not. */
  private async healthCheck(timeoutMs: number): Promise<void> {
    const producer = this.producer;
    if (this.state !== 'ready' || this.checking || this.batches.sending()) return;
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
      if (this.state === 'ready' && this.producer === producer && !this.batches.sending()) {
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
    this.batches.schedule();
  }

  /** Fail fast from now on: queued requests get their 429 now, reconnects go on with backoff. */
  private markDown(): void {
    if (this.state === 'closed') return;
    this.state = 'down';
    this.batches.failQueued('ING_ERR_KAFKA_UNAVAILABLE');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.backoff.maxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }
}

const rejected = (code: IngressErrorCode): Promise<never> => Promise.reject(new IngressError(code));
